"""Pure rules of a maintenance notice (R9.5): lead time, changes, what happens next.

No I/O and no Temporal: the workflow calls these with `workflow.now()`, the tests call them
directly. Refusals are `ValueError` with a message a planner can act on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from cablecare.failures import Closed, NotPermitted
from cablecare.timefmt import DEFAULT_ZONE, human
from workflows.maintenance.messages import (
    MAX_REVISIONS,
    CancelUpdate,
    Change,
    ChangeUpdate,
    MaintenanceNoticeStatus,
    NoticeState,
)


def _fmt(moment: datetime, zone: str) -> str:
    """Refusals are read by a planner: the operator's zone with its offset (13.6)."""
    return human(moment, zone)


# Sending to a large area takes minutes: start this much before the R9.5 deadline so that the
# last subscriber is told by starts_at - notice_hours, not just the first one.
SENDING_SLACK = timedelta(hours=1)


def notice_due_at(starts_at: datetime, notice_hours: int) -> datetime:
    """R9.5: when the announcement goes out: the lead time plus the sending slack before the
    start (a plan with less lead than that is announced at once)."""
    return starts_at - timedelta(hours=notice_hours) - SENDING_SLACK


def check_lead_time(
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    notice_hours: int,
    emergency_approved_by: str | None,
    zone: str = DEFAULT_ZONE,
) -> None:
    """R9.5: a plan needs `notice_hours` of lead time unless a leader approved the emergency.

    A plan whose window is already over is refused even with approval: nobody can be told.
    """
    if ends_at <= now:
        raise ValueError(
            f"the window ended at {_fmt(ends_at, zone)}: there is nothing left to announce"
        )
    if starts_at - now < timedelta(hours=notice_hours) and emergency_approved_by is None:
        raise ValueError(
            f"R9.5: maintenance must be announced at least {notice_hours} h ahead; "
            f"{_fmt(starts_at, zone)} is only {_hours(starts_at - now)} h away. Plan it later, or "
            "have a leader approve it as an emergency (emergency_approved_by)."
        )


def _hours(delta: timedelta) -> str:
    return f"{max(delta.total_seconds(), 0) / 3600:.1f}"


def check_change(
    s: MaintenanceNoticeStatus, u: ChangeUpdate, now: datetime, leaders: list[str]
) -> None:
    """Validator of `change`: nothing is recorded when this raises."""
    if s.state in (NoticeState.CANCELLED, NoticeState.COMPLETED) or s.cancel_requested:
        raise Closed(f"the notice is {s.state.value}; it can no longer be changed")
    if s.revision >= MAX_REVISIONS:
        raise ValueError(
            f"the notice was changed {s.revision - 1} times; cancel it and plan a new one"
        )
    if s.started and u.starts_at != s.starts_at:
        raise ValueError(
            "the work has started; only the end time and the text can change "
            f"(starts_at must stay {_fmt(s.starts_at, s.timezone)})"
        )
    if u.ends_at <= now:
        raise ValueError(f"the new window ends at {_fmt(u.ends_at, s.timezone)}, which has passed")
    if u.emergency_approved_by is not None and u.emergency_approved_by not in leaders:
        raise NotPermitted(
            f"{u.emergency_approved_by} is not a leader of the companies concerned; "
            f"an emergency needs one of: {', '.join(leaders) or 'none on record'}"
        )
    # Moving the start earlier than announced, to less than the lead time away, takes the
    # subscribers by surprise: the same emergency approval as a late plan (R9.5). Moving it
    # later, or changing only the end or the text, is always allowed.
    moved_earlier = u.starts_at < s.starts_at
    late = u.starts_at - now < timedelta(hours=s.notice_hours)
    if moved_earlier and late and u.emergency_approved_by is None:
        raise ValueError(
            f"R9.5: the new start {_fmt(u.starts_at, s.timezone)} is earlier than announced "
            f"and less than {s.notice_hours} h away; a leader must approve it as an emergency"
        )
    if u.starts_at == s.starts_at and u.ends_at == s.ends_at and u.text in (None, s.text):
        raise ValueError("nothing changes: give a new window or a new text")


def check_cancel(s: MaintenanceNoticeStatus, u: CancelUpdate) -> None:
    if s.state in (NoticeState.CANCELLED, NoticeState.COMPLETED) or s.cancel_requested:
        raise Closed(f"the notice is already {s.state.value}")
    if s.started:
        raise ValueError(
            "the work has started and cannot be cancelled; change its end time instead"
        )


def apply_change(s: MaintenanceNoticeStatus, u: ChangeUpdate, now: datetime) -> None:
    """A new revision. If subscribers were already told, they are told again at once;
    otherwise the new revision goes out at its own notice time."""
    s.revision += 1
    s.starts_at, s.ends_at = u.starts_at, u.ends_at
    s.text = u.text if u.text is not None else s.text
    if u.emergency_approved_by is not None:
        s.emergency_approved_by = u.emergency_approved_by
    due = notice_due_at(s.starts_at, s.notice_hours)
    s.notice_due_at = now if s.notified_revision else max(due, now)
    s.state = NoticeState.IN_PROGRESS if s.started else NoticeState.SCHEDULED
    s.changes.append(
        Change(
            revision=s.revision,
            at=now,
            by=u.by,
            starts_at=u.starts_at,
            ends_at=u.ends_at,
            emergency_approved_by=u.emergency_approved_by,
        )
    )


class Step(StrEnum):
    CANCEL = "cancel"
    NOTICE = "notice"
    START = "start"
    END = "end"


def next_step(s: MaintenanceNoticeStatus) -> tuple[Step, datetime | None, str]:
    """What the workflow does next, when, and the timer summary the UI shows."""
    if s.cancel_requested:
        return Step.CANCEL, None, "cancel"
    if s.notified_revision != s.revision:
        assert s.notice_due_at is not None
        summary = (
            f"notice time: {s.notice_hours} h + 1 h sending slack before the start (R9.5), "
            f"revision {s.revision}"
            if not s.notified_revision
            else f"notify the change, revision {s.revision}"
        )
        return Step.NOTICE, s.notice_due_at, summary
    if not s.started:
        return Step.START, s.starts_at, "maintenance starts: start reminder"
    return Step.END, s.ends_at, "maintenance ends"


def notice_template(s: MaintenanceNoticeStatus) -> str:
    return "maintenance_changed" if s.notified_revision else "maintenance_notice"
