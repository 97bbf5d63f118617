"""Activities of the ServiceRequest workflow: intake from the directory, deadlines, records.

Intake and the deadline are local activities: they read and compute, and have no effect that a
discarded workflow task could leave behind. Case records are written by activities/case_records.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities.case_records import write_case_rows
from activities.db import SessionFactory
from activities.directory_tables import Subscriber
from activities.intake_directory import directory_snapshot
from activities.notifications import NotificationSender
from activities.request_registry import claim_request
from cablecare.calendar import BusinessCalendar, load_calendar
from cablecare.failures import ErrorType
from cablecare.policy import SlaPolicy, current_policy
from cablecare.settings import Settings
from cablecare.sla import limit_due_at
from starter.accountability import open_case
from workflows.service_request.activity_io import (
    COMPUTE_DEADLINE,
    OPEN_ACCOUNTABILITY,
    PREPARE_CASE,
    SYNC_CASE,
    DeadlineInput,
    DeadlineResult,
    OpenAccountabilityInput,
    PrepareCaseInput,
    SyncCaseInput,
)
from workflows.service_request.intake import received_at_problem
from workflows.service_request.state import CaseContext

log = structlog.get_logger(__name__)


class CaseActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self._calendars: dict[str, BusinessCalendar] = {}

    def activities(self) -> list[Callable[..., Any]]:
        return [self.prepare_case, self.compute_deadline, self.sync_case, self.open_accountability]

    def _calendar(self, timezone: str) -> BusinessCalendar:
        if timezone not in self._calendars:
            self._calendars[timezone] = load_calendar(self.settings, timezone=timezone)
        return self._calendars[timezone]

    @activity.defn(name=PREPARE_CASE)
    def prepare_case(self, data: PrepareCaseInput) -> CaseContext:
        """Intake: subscriber, area, setting and key-account flag from the directory (R3.1),
        the staff who may act on the case (R8.1), and the policy the case keeps for life."""
        policy = current_policy(self.settings.policy_path)
        with self.sessions() as session:
            subscriber = session.get(Subscriber, data.subscriber_id)
            if subscriber is None:
                raise ApplicationError(
                    f"unknown subscriber {data.subscriber_id}: not in the directory",
                    type="UnknownSubscriber",
                    non_retryable=True,
                )
            # Areas, staff and the register from the cached snapshot (activities/
            # intake_directory.py): a warm case reads only its subscriber row.
            snap = directory_snapshot(self.sessions)
            if subscriber.area_id not in snap.areas or any(
                r.staff_id not in snap.staff_ids for r in data.received_by
            ):  # added since the snapshot (perhaps by another process): read it again
                snap = directory_snapshot(self.sessions, fresh=True)
            area = snap.areas.get(subscriber.area_id)
            if area is None:
                raise ApplicationError(
                    f"subscriber {data.subscriber_id} belongs to unknown area {subscriber.area_id}",
                    type="UnknownArea",
                    non_retryable=True,
                )
            unknown = [r.staff_id for r in data.received_by if r.staff_id not in snap.staff_ids]
            if unknown:
                raise ApplicationError(
                    f"received_by names staff not in the directory: {', '.join(unknown)}",
                    type="UnknownStaff",
                    non_retryable=True,
                )
            self._check_intake(session, data, policy)
            today = datetime.now(ZoneInfo(policy.timezone)).date()
            staff = snap.area_context(area.area_id, policy.timezone, today)
            return CaseContext(
                area_id=area.area_id,
                setting=area.setting,
                company=area.company,
                key_account=subscriber.key_account,
                # (四)4: the address says, else its area does.
                network_built=(
                    subscriber.network_built
                    if subscriber.network_built is not None
                    else area.network_built
                ),
                area_technician_id=staff.area_technician_id,
                supervisors=list(staff.supervisors),
                leaders=list(staff.leaders),
                business_leads=list(staff.business_leads),
                window_leads=list(staff.window_leads),
                roster={k: list(v) for k, v in staff.roster.items()},
                certificates=staff.certificates,
                policy=policy,
            )

    def _check_intake(self, session: Session, data: PrepareCaseInput, policy: SlaPolicy) -> None:
        """Issue 9.4 time bounds, then issue 9.5: the request id is claimed by this execution
        (last, so a refused start does not use up the id)."""
        if data.started_at is not None:
            problem = received_at_problem(
                data.received_at,
                data.started_at,
                imported=data.imported,
                window_days=policy.intake_window_days,
                skew_minutes=policy.intake_clock_skew_minutes,
            )
            if problem is not None:
                raise ApplicationError(
                    problem, type=ErrorType.INVALID_INPUT.value, non_retryable=True
                )
        if data.first_run_id:
            owner = claim_request(
                session,
                request_id=data.request_id,
                first_run_id=data.first_run_id,
                workflow_id=data.workflow_id,
                at=data.started_at or datetime.now(UTC),
            )
            if owner is not None:
                raise ApplicationError(
                    f"request {data.request_id} already has a case (run {owner}); "
                    "a request id is used once",
                    type=ErrorType.DUPLICATE_REQUEST.value,
                    non_retryable=True,
                )

    @activity.defn(name=COMPUTE_DEADLINE)
    def compute_deadline(self, data: DeadlineInput) -> DeadlineResult:
        """Once per clock start (R4.1): the limit on the national calendar (R4.3, R4.4)."""
        try:
            due = limit_due_at(data.limit, self._calendar(data.timezone), data.start)
        except (ValueError, OverflowError, LookupError) as err:
            # Retrying cannot help: fail the case with the reason (issue 9.4).
            raise ApplicationError(
                f"the {data.limit.label} from {data.start.isoformat(timespec='minutes')} "
                f"cannot be computed: {err}",
                type=ErrorType.DEADLINE_UNCOMPUTABLE.value,
                non_retryable=True,
            ) from None
        return DeadlineResult(due_at=due)

    @activity.defn(name=OPEN_ACCOUNTABILITY)
    async def open_accountability(self, data: OpenAccountabilityInput) -> None:
        """The accountability cases of one flush, opened after its `record_case` (a regular
        activity since PATCH_ACCOUNTABILITY_APART, issue 15; a local activity for cases started
        before the committed-effects patch; `record_case` opened them in between).

        Started as an independent workflow rather than a child: the request neither waits for
        nor owns it, and a retry finds the same case by its id (one case per violation)."""
        client = activity.client()
        for case in data.cases:
            try:
                await open_case(client, case)
            except WorkflowAlreadyStartedError:
                pass  # already opened and decided: never a second case for the same violation

    @activity.defn(name=SYNC_CASE)
    def sync_case(self, data: SyncCaseInput) -> None:
        """First-release local activity, kept for cases started before the committed-effects
        patch (new cases use `record_case`, activities/case_records.py)."""
        with self.sessions() as session:
            write_case_rows(session, data)
            try:
                session.commit()
            except IntegrityError:
                # A concurrent retry of the same step inserted first: nothing left to write.
                session.rollback()
