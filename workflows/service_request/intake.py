"""Intake time bounds and the import path (issue 9.4). Pure: no I/O, no Temporal.

`received_at` is the caller's word for when the customer came; every deadline runs from it. A
live case accepts it within the policy's window before the workflow's start (7 days) and at
most a small clock skew after it (5 min): a 2020 date or the integer 0 is a typing error that
would breach at once and open an accountability case against someone who never saw it.

A request older than the window (taken during an outage, or migrated from another system) is
started with `imported: true`. Its deadlines still run from `received_at`, so the customer's
waiting time counts and an overdue request is escalated at once; but an accountability case is
opened only for time lost after the system saw the request, never for deadlines that had
already passed at intake.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.service_request.case import Case


def received_at_problem(
    received_at: datetime | None,
    started_at: datetime,
    *,
    imported: bool,
    window_days: int,
    skew_minutes: int,
) -> str | None:
    """Why `received_at` is refused at intake, or None when it is accepted."""
    if received_at is None:
        if imported:
            return "an imported request needs received_at: when the customer came"
        return None
    ahead = received_at - started_at
    if ahead > timedelta(minutes=skew_minutes):
        return (
            f"received_at {received_at.isoformat(timespec='minutes')} is in the future: the "
            f"case started at {started_at.isoformat(timespec='minutes')} and at most "
            f"{skew_minutes} min of clock difference is accepted"
        )
    if not imported and started_at - received_at > timedelta(days=window_days):
        return (
            f"received_at {received_at.isoformat(timespec='minutes')} is more than "
            f"{window_days} days before the start; start a request this old with "
            '"imported": true (docs/integration.md, "Importing older requests")'
        )
    return None


def waive_lost_time(case: Case, escalations_before: int, now: datetime) -> None:
    """Imported request: the deadlines that fired at intake had passed before the system saw
    the request, so their escalations open no accountability case (issue 9.4)."""
    fresh = case.snap.escalations[escalations_before:]
    waived = {e.accountability_case_id for e in fresh if e.accountability_case_id}
    if not waived:
        return
    case.data.accountability = [a for a in case.data.accountability if a.case_id not in waived]
    for e in fresh:
        e.accountability_case_id = None
    case.log(
        now,
        "accountability.waived",
        detail="imported request: the time was lost before the system saw it (issue 9.4)",
    )
