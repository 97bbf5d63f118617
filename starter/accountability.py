"""Open an accountability case by hand (R6.1, R7.2: a supervisor, after persuasion failed)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from cablecare.domain import TASK_QUEUE
from workflows.accountability.messages import (
    WORKFLOW_NAME,
    AccountabilityCaseInput,
    AccountabilityStatus,
    workflow_id,
)


async def open_case(
    client: Client, data: AccountabilityCaseInput
) -> WorkflowHandle[object, AccountabilityStatus]:
    """Start the case, or return the running one for the same case id (one case, never two)."""
    return await client.start_workflow(
        WORKFLOW_NAME,
        data,
        id=workflow_id(data.case_id),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A decided case stays decided: the same case id never opens a second time.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        result_type=AccountabilityStatus,
        # Shown in the UI in clear text: ids and the rule only, never names or phones.
        static_summary=f"Accountability {data.case_id}: staff {data.staff_id}, rule {data.rule}",
    )
