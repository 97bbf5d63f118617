"""R6 accountability activities: open the case, record the statement and the decision.

Every write is an upsert keyed on the case id and every notification has a business key, so a
retried activity changes nothing the second time (TEMPORAL_NOTES.md: at-least-once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.accountability_tables import AccountabilityRecord
from activities.db import SessionFactory
from activities.directory_queries import get_area, get_staff, staff_with_role
from activities.notifications import Channel, Notification, NotificationSender, RecipientKind
from cablecare.calendar import load_calendar
from cablecare.domain import Role
from cablecare.policy import current_policy
from cablecare.settings import Settings
from workflows.accountability.activity_io import (
    OpenCaseInput,
    OpenCaseResult,
    RecordDecisionInput,
    RecordStatementInput,
)
from workflows.accountability.wording import deadline_text

log = structlog.get_logger(__name__)

UNKNOWN_STAFF = "UnknownStaff"


def _utc(moment: datetime) -> datetime:
    # SQLite drops offsets: store UTC everywhere so comparisons mean the same on both databases.
    return moment.astimezone(UTC)


class AccountabilityActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.open_accountability_case,
            self.record_accountability_statement,
            self.record_accountability_decision,
        ]

    @activity.defn(name="open_accountability_case")
    def open_accountability_case(self, data: OpenCaseInput) -> OpenCaseResult:
        """R6.1 open (upsert) the record, R6.8 set the statement deadline, R6.6 count prior
        violations, R6.4 list who may decide; then tell the staff member and the lead."""
        case = data.case
        policy = current_policy(self.settings.policy_path)
        rules = policy.accountability
        calendar = load_calendar(self.settings, timezone=policy.timezone)
        due = calendar.end_of_nth_working_day(data.opened_at, rules.statement_working_days)
        with self.sessions() as session:
            supervisors = self._deciders(session, case.staff_id, case.lead_id)
            since = data.opened_at - timedelta(days=rules.lookback_days)
            prior = session.exec(
                select(func.count())
                .select_from(AccountabilityRecord)
                .where(
                    AccountabilityRecord.staff_id == case.staff_id,
                    AccountabilityRecord.case_id != case.case_id,
                    AccountabilityRecord.opened_at >= _utc(since),
                    AccountabilityRecord.opened_at < _utc(data.opened_at),
                )
            ).one()
            self._upsert_opened(session, data, due, int(prior))
        recipients = [case.staff_id, *([case.lead_id] if case.lead_id else [])]
        for staff_id in dict.fromkeys(recipients):
            self.sender.send(
                Notification(
                    key=f"{data.workflow_id}/opened/{staff_id}",
                    channel=Channel.STAFF,
                    recipient_kind=RecipientKind.STAFF,
                    recipient_id=staff_id,
                    template="accountability_opened",
                    params={
                        "case_id": case.case_id,
                        "rule": case.rule,
                        "due_at": deadline_text(due),
                    },
                )
            )
        return OpenCaseResult(
            policy_version=policy.version,
            statement_working_days=rules.statement_working_days,
            statement_due_at=due,
            prior_violations=int(prior),
            aggravating_violation_count=rules.aggravating_violation_count,
            supervisors=supervisors,
            outcomes=list(rules.outcomes),
        )

    def _deciders(self, session: Session, staff_id: str, lead_id: str | None) -> list[str]:
        """R6.4: the supervisors of the staff member's company (city or county) decide; with no
        area on record, every supervisor may. Unknown people fail the case at once."""
        for who, label in ((staff_id, "staff member"), (lead_id, "lead")):
            if who is not None and get_staff(session, who) is None:
                raise ApplicationError(
                    f"Unknown {label} {who}: not in the staff directory; "
                    "check the id or load the directory first.",
                    type=UNKNOWN_STAFF,
                    non_retryable=True,
                )
        staff = get_staff(session, staff_id)
        area = get_area(session, staff.area_id) if staff and staff.area_id else None
        found = staff_with_role(session, Role.SUPERVISOR, company=area.company) if area else []
        found = found or staff_with_role(session, Role.SUPERVISOR)
        return sorted(s.staff_id for s in found if s.staff_id != staff_id)

    @staticmethod
    def _upsert_opened(session: Session, data: OpenCaseInput, due: datetime, prior: int) -> None:
        case = data.case
        row = session.get(AccountabilityRecord, case.case_id) or AccountabilityRecord(
            case_id=case.case_id,
            workflow_id=data.workflow_id,
            staff_id=case.staff_id,
            rule=case.rule,
            violation=case.violation,
            opened_at=_utc(data.opened_at),
        )
        row.lead_id, row.request_id, row.area_id = case.lead_id, case.request_id, case.area_id
        row.statement_due_at, row.prior_violations = _utc(due), prior
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent attempt inserted the same case: it wrote the same
            session.rollback()

    @activity.defn(name="record_accountability_statement")
    def record_accountability_statement(self, data: RecordStatementInput) -> None:
        """R6.8: the statement, or the fact that its deadline passed without one."""
        with self.sessions() as session:
            row = session.get(AccountabilityRecord, data.case_id)
            if row is None:  # opened by an earlier activity of the same workflow: a bug if absent
                raise ApplicationError(f"accountability record {data.case_id} not found")
            if data.statement is not None:
                row.statement = data.statement
                row.statement_at = data.statement_at and _utc(data.statement_at)
                row.statement_token_id = data.token_id
            row.statement_missed = row.statement_missed or data.statement_missed
            session.add(row)
            session.commit()

    @activity.defn(name="record_accountability_decision")
    def record_accountability_decision(self, data: RecordDecisionInput) -> None:
        """R6.5: record the outcome (upsert), then tell the staff member once."""
        d = data.decision
        with self.sessions() as session:
            row = session.get(AccountabilityRecord, data.case_id)
            if row is None:
                raise ApplicationError(f"accountability record {data.case_id} not found")
            row.decided_at, row.supervisor_id = _utc(d.decided_at), d.supervisor_id
            row.decision_token_id = d.token_id
            row.requested_severity = d.requested_severity.value
            row.final_severity = d.final_severity.value if d.final_severity else None
            row.outcome, row.outcome_en, row.note = d.outcome_zh, d.outcome_en, d.note
            row.aggravating = [a.value for a in d.aggravating]
            row.mitigating = [m.value for m in d.mitigating]
            session.add(row)
            session.commit()
        self.sender.send(
            Notification(
                key=f"{data.workflow_id}/decided/{data.staff_id}",
                channel=Channel.STAFF,
                recipient_kind=RecipientKind.STAFF,
                recipient_id=data.staff_id,
                template="accountability_decided",
                params={"case_id": data.case_id, "outcome": d.outcome_zh},
            )
        )
        log.info("accountability.decided", case_id=data.case_id, final=d.final_severity)
