"""The Temporal Schedules of the scheduled duties (docs/contract.md "Scheduled"), applied
idempotently by `cablecare schedules apply` and by `cablecare dev`.

| schedule id | when (operator's local time) | workflow | rule |
|---|---|---|---|
| `fee-reminders-daily` | every day 09:00 | FeeReminders | R9.5, R9.8 |
| `key-account-callbacks-monthly` | 1st of the month 10:00 | KeyAccountCallbackPlan | R5.4 |
| `area-assessment-monthly` | 1st of the month 06:00 (previous month) | AreaAssessment | R3.3 |
| `area-assessment-yearly` | 1 January 07:00, for the previous year | AreaAssessment | R3.3 |
| `supervision-plan-monthly` | 1st of the month 08:00 | SupervisionPlan | (五)5, (四)2 |
| `certificate-reminders-daily` | every day 08:00 | CertificateReminders | (八), R8.1 |

Overlap policy and catch-up window, and why:
- Fee reminders: SKIP, catch-up 1 day. A run covers every subscriber whose fee expires
  within the offsets, not only those exactly 15 or 3 days out, and each reminder is keyed per
  subscriber/offset/expiry date; so a run skipped because yesterday's is still going, or a
  missed day, is made up by the next run, and queuing runs behind a stuck one would only pile
  up work. One day of catch-up sends a morning run missed during an outage when the server is
  back the same day; older misses are covered by the next run anyway.
- Key-account callbacks and the assessments: BUFFER_ONE, catch-up 7 days (31 days for the
  yearly one). Each firing is a distinct period (a month's tasks, a month's report), so none
  may be dropped: a firing that meets a running one waits for it. The workflows take their
  period from the Schedule's nominal time (TemporalScheduledStartTime), so a run caught up
  days late still plans and reports the right month; all of them are idempotent upserts.
- Supervision plan: BUFFER_ONE, catch-up 7 days, like the other monthly duties. Its
  inspections have fixed ids per month and branch and are never started twice, so a manual or
  repeated run changes nothing.
- Certificate reminders: SKIP, catch-up 1 day, like fee reminders: each certificate is
  reminded once, and the next run covers a missed day.

Apply compares a fingerprint of each definition (kept in the started workflows' memo) with the
server's: an unchanged Schedule is left alone, a changed one is updated in place keeping its
paused state and note, a missing one is created.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from workflows.inspection.messages import PLAN_WORKFLOW_NAME, SupervisionPlanInput
from workflows.scheduled.messages import (
    AREA_ASSESSMENT,
    CERTIFICATE_REMINDERS,
    FEE_REMINDERS,
    KEY_ACCOUNT_CALLBACKS,
    AssessmentInput,
    AssessmentKind,
    CertificateRemindersInput,
    FeeRemindersInput,
    KeyAccountCallbacksInput,
)

FINGERPRINT = "cablecare_schedule"
SUPERVISION_PLAN_ID = "supervision-plan-monthly"


@dataclass(frozen=True)
class Duty:
    schedule_id: str
    workflow: str
    arg: BaseModel
    hour: int
    day_of_month: int | None = None  # None: every day
    month: int | None = None  # None: every month
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    catchup: timedelta = timedelta(days=1)
    summary: str = ""

    def fingerprint(self, task_queue: str, timezone: str) -> str:
        data = {
            "id": self.schedule_id, "workflow": self.workflow,
            "arg": self.arg.model_dump(mode="json"),
            "hour": self.hour, "day": self.day_of_month, "month": self.month,
            "overlap": self.overlap.name, "catchup": self.catchup.total_seconds(),
            "summary": self.summary, "task_queue": task_queue, "timezone": timezone,
        }  # fmt: skip
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


DUTIES: tuple[Duty, ...] = (
    Duty("fee-reminders-daily", FEE_REMINDERS, FeeRemindersInput(), hour=9,
         summary="R9.5 fee-expiry reminders (daily)"),
    Duty("key-account-callbacks-monthly", KEY_ACCOUNT_CALLBACKS, KeyAccountCallbacksInput(),
         hour=10, day_of_month=1, overlap=ScheduleOverlapPolicy.BUFFER_ONE,
         catchup=timedelta(days=7), summary="R5.4 key-account callback plan (monthly)"),
    Duty("area-assessment-monthly", AREA_ASSESSMENT, AssessmentInput(kind=AssessmentKind.MONTHLY),
         hour=6, day_of_month=1, overlap=ScheduleOverlapPolicy.BUFFER_ONE,
         catchup=timedelta(days=7), summary="R3.3 area assessment of the previous month"),
    Duty("area-assessment-yearly", AREA_ASSESSMENT, AssessmentInput(kind=AssessmentKind.YEARLY),
         hour=7, day_of_month=1, month=1, overlap=ScheduleOverlapPolicy.BUFFER_ONE,
         catchup=timedelta(days=31), summary="R3.3 yearly summary of the previous year"),
    Duty(SUPERVISION_PLAN_ID, PLAN_WORKFLOW_NAME, SupervisionPlanInput(), hour=8,
         day_of_month=1, overlap=ScheduleOverlapPolicy.BUFFER_ONE, catchup=timedelta(days=7),
         summary="(五)5 branch self-inspections and (四)2 province inspections (monthly)"),
    Duty("certificate-reminders-daily", CERTIFICATE_REMINDERS, CertificateRemindersInput(),
         hour=8, summary="(八) R8.1 certificate expiry reminders (daily)"),
)  # fmt: skip


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _every(value: int | None, low: int, high: int) -> list[ScheduleRange]:
    return [ScheduleRange(value)] if value is not None else [ScheduleRange(low, high)]


def build_schedule(duty: Duty, *, task_queue: str, timezone: str) -> Schedule:
    calendar = ScheduleCalendarSpec(
        second=[ScheduleRange(0)],
        minute=[ScheduleRange(0)],
        hour=[ScheduleRange(duty.hour)],
        day_of_month=_every(duty.day_of_month, 1, 31),
        month=_every(duty.month, 1, 12),
        comment=duty.summary,
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            duty.workflow,
            duty.arg,
            id=duty.schedule_id,  # the server appends the nominal time
            task_queue=task_queue,
            memo={FINGERPRINT: duty.fingerprint(task_queue, timezone)},
            static_summary=duty.summary,
        ),
        spec=ScheduleSpec(calendars=[calendar], time_zone_name=timezone),
        policy=SchedulePolicy(overlap=duty.overlap, catchup_window=duty.catchup),
        state=ScheduleState(note=f"managed by `cablecare schedules apply`: {duty.summary}"),
    )


async def _current_fingerprint(client: Client, schedule_id: str) -> str | None:
    desc = await client.get_schedule_handle(schedule_id).describe()
    action = desc.schedule.action
    raw = getattr(action, "memo", None) or {}
    payload = raw.get(FINGERPRINT)
    if payload is None:
        return None
    if isinstance(payload, str):
        return payload
    # Through the codec first: with payload encryption on, the memo is encrypted too.
    [value] = await client.data_converter.decode([payload], [str])
    return str(value)


async def apply_schedules(
    client: Client,
    *,
    task_queue: str,
    timezone: str,
    duties: tuple[Duty, ...] = DUTIES,
) -> list[tuple[str, Outcome]]:
    """Create or update every Schedule; unchanged ones are not touched."""
    results: list[tuple[str, Outcome]] = []
    for duty in duties:
        wanted = build_schedule(duty, task_queue=task_queue, timezone=timezone)
        try:
            await client.create_schedule(duty.schedule_id, wanted)
            results.append((duty.schedule_id, Outcome.CREATED))
            continue
        except ScheduleAlreadyRunningError:
            pass
        if await _current_fingerprint(client, duty.schedule_id) == duty.fingerprint(
            task_queue, timezone
        ):
            results.append((duty.schedule_id, Outcome.UNCHANGED))
            continue

        def keep_state(current: ScheduleUpdateInput, new: Schedule = wanted) -> ScheduleUpdate:
            # An operator's pause (and its note) survives a redeploy.
            new.state = current.description.schedule.state
            return ScheduleUpdate(schedule=new)

        await client.get_schedule_handle(duty.schedule_id).update(keep_state)
        results.append((duty.schedule_id, Outcome.UPDATED))
    return results
