"""Start a ServiceRequest the way docs/contract.md promises: one case per request id.

`id_conflict_policy=USE_EXISTING` returns the running case on a second start, so a CRM that
retries a start never opens a second case. The static summary carries no personal data.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from cablecare.domain import TASK_QUEUE
from cablecare.search_attributes import CS_KIND
from workflows.service_request.messages import ServiceRequestInput, workflow_id
from workflows.service_request.observe import summary_line
from workflows.service_request.workflow import ServiceRequest


def summary(request: ServiceRequestInput) -> str:
    return summary_line(request)  # the workflow's own details start with the same line


async def start_service_request(
    client: Client, request: ServiceRequestInput, *, task_queue: str = TASK_QUEUE
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        ServiceRequest.run,
        request,
        id=workflow_id(request.request_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A closed request's id is not reused for a new case: request ids are unique.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=summary(request),
        search_attributes=TypedSearchAttributes([SearchAttributePair(CS_KIND, request.kind.value)]),
    )
