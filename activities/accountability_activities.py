"""R6 accountability activities: open the case, record the statement and the decision.

Every write is an upsert keyed on the case id and every notification has a business key, so a
retried activity changes nothing the second time (docs/temporal-notes.md: at-least-once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.accountability_tables import AccountabilityRecord
from activities.db import SessionFactory
from activities.directory_queries import get_area, get_staff, staff_with_role
from activities.notifications import Channel, Notification, NotificationSender, RecipientKind
from activities.templates import reading_time
from cablecare.calendar import load_calendar
from cablecare.domain import HAND_OPENERS, Role
from cablecare.failures import ErrorType
from cablecare.policy import current_policy
from cablecare.settings import Settings
from workflows.accountability.activity_io import (
    OpenCaseInput,
    OpenCaseResult,
    RecordDecisionInput,
    RecordStatementInput,
    RecordWithdrawalInput,
)
from workflows.accountability.messages import PartyRole

log = structlog.get_logger(__name__)

UNKNOWN_STAFF = "UnknownStaff"


def _utc(moment: datetime) -> datetime:
    # SQLite drops offsets: store UTC everywhere so comparisons mean the same on both databases.
    return moment.astimezone(UTC)


def opened_params(case_id: str, rule: str, due: datetime, timezone: str) -> dict[str, str]:
    """The `accountability_opened` message: the deadline as a person reads it (item 13)."""
    return {"case_id": case_id, "rule": rule, "due_at": reading_time(due, ZoneInfo(timezone))}


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
            self.record_accountability_withdrawal,
        ]

    @activity.defn(name="open_accountability_case")
    def open_accountability_case(self, data: OpenCaseInput) -> OpenCaseResult:
        """R6.1 open (upsert) the record, R6.8 set the statement deadline, (六)6 count each
        party's prior acts, (六)4 list who may decide each party; then tell both parties."""
        case = data.case
        policy = current_policy(self.settings.policy_path)
        rules = policy.accountability
        calendar = load_calendar(self.settings, timezone=policy.timezone)
        due = calendar.end_of_nth_working_day(data.opened_at, rules.statement_working_days)
        with self.sessions() as session:
            if data.opened_by_person:
                self._may_open(session, case.opened_by)
            self._known(session, case.staff_id, case.lead_id)
            supervisors = self._deciders(session, case.staff_id)
            since = data.opened_at - timedelta(days=rules.lookback_days)
            prior = self._prior(session, case.staff_id, case.case_id, since, data.opened_at)
            lead_prior, lead_deciders = 0, []
            if case.lead_id is not None and case.lead_id != case.staff_id:
                lead_prior = self._prior(session, case.lead_id, case.case_id, since, data.opened_at)
                lead_deciders = self._deciders(session, case.lead_id)
            self._upsert_opened(session, data, due, prior, lead_prior)
        recipients = [case.staff_id, *([case.lead_id] if case.lead_id else [])]
        for staff_id in dict.fromkeys(recipients):
            self.sender.send(
                Notification(
                    key=f"{data.workflow_id}/opened/{staff_id}",
                    channel=Channel.STAFF,
                    recipient_kind=RecipientKind.STAFF,
                    recipient_id=staff_id,
                    template="accountability_opened",
                    params=opened_params(case.case_id, case.rule, due, policy.timezone),
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
            lead_prior_violations=lead_prior,
            lead_deciders=lead_deciders,
        )

    @staticmethod
    def _prior(session: Session, who: str, case_id: str, since: datetime, until: datetime) -> int:
        """(六)6: the person's accountable acts in the lookback window before this case, as
        post holder or as responsible lead."""
        return int(
            session.exec(
                select(func.count())
                .select_from(AccountabilityRecord)
                .where(
                    or_(
                        col(AccountabilityRecord.staff_id) == who,
                        col(AccountabilityRecord.lead_id) == who,
                    ),
                    AccountabilityRecord.case_id != case_id,
                    AccountabilityRecord.opened_at >= _utc(since),
                    AccountabilityRecord.opened_at < _utc(until),
                )
            ).one()
        )

    @staticmethod
    def _may_open(session: Session, opened_by: str) -> None:
        """R7.2 / (六)4: a person opening a case by hand is a supervisor, the supervision office
        or a leader in the directory. Verified identity alone is not enough: any staff member
        has a token."""
        staff = get_staff(session, opened_by)
        if staff is None or not {r.value for r in HAND_OPENERS} & set(staff.roles):
            raise ApplicationError(
                f"opened_by {opened_by} is not a supervisor, the supervision office or a leader "
                "in the staff directory: only they open an accountability case by hand (R7.2)",
                type=ErrorType.NOT_PERMITTED.value,
                non_retryable=True,
            )

    @staticmethod
    def _known(session: Session, staff_id: str, lead_id: str | None) -> None:
        """Unknown people fail the case at once."""
        for who, label in ((staff_id, "staff member"), (lead_id, "lead")):
            if who is not None and get_staff(session, who) is None:
                raise ApplicationError(
                    f"Unknown {label} {who}: not in the staff directory; "
                    "check the id or load the directory first.",
                    type=UNKNOWN_STAFF,
                    non_retryable=True,
                )

    @staticmethod
    def _deciders(session: Session, who: str) -> list[str]:
        """(六)4 下級的責任，由上級或監督機構予以追究: the person's own superior (`reports_to` in
        the directory) or the supervision office (監督機構). A directory that names neither for
        this person falls back to the supervisors of the person's company, so cases of an old
        directory can still be decided; loading `reports_to` ends that fallback."""
        staff = get_staff(session, who)
        found = [s.staff_id for s in staff_with_role(session, Role.SUPERVISION_OFFICE)]
        superior = get_staff(session, staff.reports_to) if staff and staff.reports_to else None
        if superior is not None:
            found.append(superior.staff_id)
        if not found:
            area = get_area(session, staff.area_id) if staff and staff.area_id else None
            company = area.company if area else None
            fallback = staff_with_role(session, Role.SUPERVISOR, company=company) if area else []
            fallback = fallback or staff_with_role(session, Role.SUPERVISOR)
            found = [s.staff_id for s in fallback]
        return sorted(set(found) - {who})

    @staticmethod
    def _upsert_opened(
        session: Session, data: OpenCaseInput, due: datetime, prior: int, lead_prior: int
    ) -> None:
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
        row.lead_prior_violations = lead_prior
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
            p = "lead_" if data.role == PartyRole.LEAD else ""  # (六)5 each party's own columns
            if data.statement is not None:
                setattr(row, f"{p}statement", data.statement)
                setattr(row, f"{p}statement_at", data.statement_at and _utc(data.statement_at))
                setattr(row, f"{p}statement_token_id", data.token_id)  # issue 10
            missed = getattr(row, f"{p}statement_missed") or data.statement_missed
            setattr(row, f"{p}statement_missed", missed)
            session.add(row)
            session.commit()

    @activity.defn(name="record_accountability_withdrawal")
    def record_accountability_withdrawal(self, data: RecordWithdrawalInput) -> None:
        """(四)5: the case is withdrawn, with who and why (an upsert: a retry writes the same)."""
        with self.sessions() as session:
            row = session.get(AccountabilityRecord, data.case_id)
            if row is None:
                raise ApplicationError(f"accountability record {data.case_id} not found")
            row.withdrawn_at, row.withdrawn_by = _utc(data.at), data.by
            row.withdrawn_reason = data.reason
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
            p = "lead_" if d.role == PartyRole.LEAD else ""  # (六)5 each party's own columns
            values = {
                "decided_at": _utc(d.decided_at),
                "supervisor_id": d.supervisor_id,
                "decision_token_id": d.token_id,  # issue 10
                "requested_severity": d.requested_severity.value,
                "final_severity": d.final_severity.value if d.final_severity else None,
                "outcome": d.outcome_zh,
                "outcome_en": d.outcome_en,
                "note": d.note,
                "aggravating": [a.value for a in d.aggravating],
                "mitigating": [m.value for m in d.mitigating],
            }
            for name, value in values.items():
                setattr(row, f"{p}{name}", value)
            session.add(row)
            session.commit()
        self.sender.send(
            Notification(
                key=f"{data.workflow_id}/decided/{data.staff_id}",  # one per party
                channel=Channel.STAFF,
                recipient_kind=RecipientKind.STAFF,
                recipient_id=data.staff_id,
                template="accountability_decided",
                params={"case_id": data.case_id, "outcome": d.outcome_zh},
            )
        )
        log.info("accountability.decided", case_id=data.case_id, final=d.final_severity)
