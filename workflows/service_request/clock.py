"""The SLA clock of a case: pure arithmetic on recorded facts, deterministic on replay.

The base deadline comes from an activity (policy + national calendar) once per clock start;
everything here only shifts it: leader-approved extensions (R4.6) and force-majeure pauses
(R9.4). The warning point (R7.3) is the policy's fraction of the current span.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.service_request.state import Clock


def started(
    previous: Clock, *, at: datetime, base_due_at: datetime, label: str, rule: str
) -> Clock:
    """A new round of the clock (R4.1 first start; R5.2 reopened after a callback)."""
    clock = Clock(
        round=previous.round + 1,
        started_at=at,
        base_due_at=base_due_at,
        limit_label=label,
        rule=rule,
    )
    return refreshed(clock)


def refreshed(clock: Clock) -> Clock:
    assert clock.base_due_at is not None
    shift = timedelta(hours=clock.extended_hours, seconds=clock.paused_seconds)
    return clock.model_copy(update={"due_at": clock.base_due_at + shift})


def extended(clock: Clock, hours: int) -> Clock:
    """R4.6: only called after a leader approved."""
    return refreshed(clock.model_copy(update={"extended_hours": clock.extended_hours + hours}))


def paused(clock: Clock, at: datetime) -> Clock:
    """R9.4: force majeure confirmed by a leader stops the clock."""
    return clock.model_copy(update={"paused": True, "paused_at": at})


def resumed(clock: Clock, at: datetime) -> Clock:
    """R9.4: the clock goes on; the deadline moves by the time it stood still."""
    assert clock.paused_at is not None
    stood = (at - clock.paused_at).total_seconds()
    return refreshed(
        clock.model_copy(
            update={
                "paused": False,
                "paused_at": None,
                "paused_seconds": clock.paused_seconds + stood,
            }
        )
    )


def warning_at(clock: Clock, fraction: float) -> datetime | None:
    """R7.3: `fraction` of the way from start to the current deadline."""
    if clock.started_at is None or clock.due_at is None:
        return None
    return clock.started_at + (clock.due_at - clock.started_at) * fraction


def running(clock: Clock) -> bool:
    return clock.started_at is not None and not clock.paused
