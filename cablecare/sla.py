"""Deadlines: the SLA policy's time limits on the operator's business calendar.

Pure functions, no I/O: the workflow clock, the CLI (`cablecare sla due`) and the tests all ask
the same question here and get the same answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cablecare.calendar import BusinessCalendar, require_aware
from cablecare.domain import Kind, Setting, Severity
from cablecare.policy import SlaPolicy, TimeLimit


def limit_due_at(limit: TimeLimit, calendar: BusinessCalendar, start: datetime) -> datetime:
    """When one time limit ends: R4.3 hours are elapsed 24/7; R4.4 working days end at 24:00."""
    if limit.hours is not None:
        return calendar.add_hours(start, limit.hours)
    assert limit.working_days is not None  # TimeLimit guarantees exactly one unit
    return calendar.end_of_nth_working_day(start, limit.working_days)


def due_at(
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    *,
    kind: Kind,
    severity: Severity,
    setting: Setting,
    start: datetime,
    extra_hours: int = 0,
) -> datetime:
    """The deadline of a case whose clock starts at `start` (R4.1: once materials are complete).

    The policy's most specific limit (R4.3 hours, R4.4 working days), plus `extra_hours` of
    leader-approved extensions (R4.6), which are plain elapsed hours. The result is in the
    operator's timezone.
    """
    require_aware(start, "start")
    if extra_hours < 0:
        raise ValueError(f"extra_hours cannot be negative, got {extra_hours} (R4.6 only extends)")
    if calendar.timezone != policy.timezone:
        # Whose 24:00? A calendar and a policy disagreeing on local time is a misconfiguration.
        raise ValueError(
            f"calendar timezone {calendar.timezone!r} differs from policy {policy.version} "
            f"timezone {policy.timezone!r}"
        )
    due = limit_due_at(policy.time_limit(kind, severity, setting), calendar, start)
    return calendar.add_hours(due, extra_hours) if extra_hours else due


def warning_at(start: datetime, due: datetime, fraction: float) -> datetime:
    """R7.3: when to warn the assignee and the owner, `fraction` of the way from start to due.

    Computed in elapsed time (UTC), returned in `due`'s timezone. A working-day limit is
    warned at the same fraction of its elapsed span, nights and holidays included.
    """
    require_aware(start, "start")
    require_aware(due, "due")
    if not 0 < fraction < 1:
        raise ValueError(f"warning fraction must be between 0 and 1, got {fraction}")
    start_utc, due_utc = start.astimezone(UTC), due.astimezone(UTC)
    if due_utc < start_utc:
        raise ValueError(f"due {due.isoformat()} is before start {start.isoformat()}")
    tz = due.tzinfo
    return (start_utc + (due_utc - start_utc) * fraction).astimezone(tz)
