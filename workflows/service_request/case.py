"""The life of one service request as pure, deterministic state transitions.

`Case` holds the carried state and records what must happen outside (timeline rows,
notifications, accountability cases); the workflow performs those through activities.
Every method takes `now` so the same calls give the same result on replay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import Field

from activities.notifications import Channel, Notification, RecipientKind
from activities.templates import KIND_ZH, reading_time
from cablecare.domain import FINAL_STATES, CaseState, Kind, Role, Severity
from cablecare.policy import Violation
from cablecare.timefmt import human
from workflows.accountability.messages import AccountabilityCaseInput
from workflows.common import Record
from workflows.service_request import clock as clk
from workflows.service_request.messages import ServiceRequestInput, StaffRef
from workflows.service_request.state import (
    TIMELINE_KEPT,
    CaseContext,
    Escalation,
    EscalationKind,
    ServiceRequestSnapshot,
    TimelineEntry,
)

ACTIVE_STATES = frozenset({CaseState.OPEN, CaseState.ASSIGNED, CaseState.IN_PROGRESS})


class CaseData(Record):
    """Everything continue-as-new carries from one run to the next."""

    input: ServiceRequestInput
    ctx: CaseContext
    snap: ServiceRequestSnapshot
    step: int = 0
    synced_step: int = 0
    synced_escalations: int = 0
    synced_callbacks: int = 0
    reopened_count: int = 0
    outbox: list[Notification] = Field(default_factory=list)
    accountability: list[AccountabilityCaseInput] = Field(default_factory=list)
    runs: int = 1
    # R4.1: a request complete at intake is on the clock from when the customer was received,
    # not from when the calling system got round to starting the workflow.
    clock_start_hint: datetime | None = None


def first_responsible(received_by: list[StaffRef]) -> str:
    """R2.2: the highest rank owns the case; ties go to the first listed (max keeps the first)."""
    return max(received_by, key=lambda s: s.rank).staff_id


class Case:
    def __init__(self, data: CaseData) -> None:
        self.data = data

    # --- reading --------------------------------------------------------------------------
    @property
    def snap(self) -> ServiceRequestSnapshot:
        return self.data.snap

    @property
    def ctx(self) -> CaseContext:
        return self.data.ctx

    def shown(self, moment: datetime | None) -> str:
        """A time as staff read it (UI details, timeline): the policy's zone with its offset.
        The snapshot may hold UTC (after continue-as-new) or a caller's offset; this never
        shows either as it is (13.6). Messages to a person use `when`."""
        return _fmt(moment, self.ctx.policy.timezone)

    @property
    def final(self) -> bool:
        return self.snap.state in FINAL_STATES

    @property
    def active(self) -> bool:
        return self.snap.state in ACTIVE_STATES

    @property
    def urgent(self) -> bool:
        """R2.7 / R4.6: major faults and complaints and key accounts are urgent."""
        s = self.snap
        major = s.severity == Severity.MAJOR and s.kind in self.ctx.policy.urgent_kinds_major
        return major or self.ctx.key_account

    def when(self, moment: datetime | None) -> str:
        """A time in a message to a person: "12月2日 11:53", operator's local time (item 13)."""
        if moment is None:
            return "待定"
        return _reading(_instant(moment) or moment, self.ctx.policy.timezone)

    def has_role(self, staff_id: str, role: Role) -> bool:
        return role.value in self.ctx.roster.get(staff_id, [])

    def known_staff(self, staff_id: str) -> bool:
        received = {r.staff_id for r in self.data.input.received_by}
        return staff_id in self.ctx.roster or staff_id in received

    def needs_clock(self) -> bool:
        """R4.1: the clock starts once materials are complete, once per round."""
        s = self.snap
        return (
            not s.missing_materials
            and not s.network_pending  # (四)4 the network is built first
            and s.clock.started_at is None
            and not self.final
        )

    # --- recording ------------------------------------------------------------------------
    def _next_step(self) -> int:
        self.data.step += 1
        return self.data.step

    def log(
        self,
        now: datetime,
        type_: str,
        by: str | None = None,
        detail: str = "",
        *,
        rejected: bool = False,
    ) -> None:
        s = self.snap
        s.timeline.append(
            TimelineEntry(
                seq=self._next_step(), at=now, type=type_, by=by, detail=detail, rejected=rejected
            )
        )
        # Keep the workflow state bounded: synced entries beyond the newest ones live in the DB.
        excess = len(s.timeline) - TIMELINE_KEPT
        while excess > 0 and s.timeline[0].seq <= self.data.synced_step:
            s.timeline.pop(0)
            excess -= 1

    def notify_subscriber(self, template: str, **params: str) -> None:
        self._notify("sms", "subscriber", self.snap.subscriber_id, template, params)

    def notify_staff(self, staff_ids: list[str], template: str, **params: str) -> None:
        for staff_id in dict.fromkeys(staff_ids):  # each person once, in order
            self._notify("staff", "staff", staff_id, template, params)

    def phone_staff(self, staff_ids: list[str], template: str, **params: str) -> None:
        """(四)6 急事急办: an urgent case reaches people by a phone task, not only the app."""
        for staff_id in dict.fromkeys(staff_ids):
            self._notify("phone_task", "staff", staff_id, template, params)

    def _notify(
        self, channel: str, kind: str, recipient: str, template: str, params: dict[str, str]
    ) -> None:
        policy = self.ctx.policy
        base = {
            "request_id": self.snap.request_id,
            "kind": self.snap.kind.value,
            "kind_zh": KIND_ZH[self.snap.kind.value],
            "company": policy.contacts.company_name_zh,
            "hotline": policy.contacts.hotline,
        }
        key = f"{self.snap.request_id}/{template}/{recipient}/{self.data.step}"
        if channel == "phone_task":  # the same person may also get the app message
            key += "/phone"
        self.data.outbox.append(
            Notification(
                key=key,
                channel=Channel(channel),
                recipient_kind=RecipientKind(kind),
                recipient_id=recipient,
                template=template,
                params={**base, **params},
            )
        )

    def escalate(
        self,
        now: datetime,
        kind: EscalationKind,
        rule: str,
        to: list[str],
        reason: str,
        *,
        accountable: str | None = None,
        violation: Violation | None = None,
    ) -> Escalation:
        """Record an escalation, tell the people it goes to, and open an accountability case
        against `accountable` (the post holder) and the responsible lead when the event is a
        violation the policy says opens one ((六)1-2, (六)5)."""
        s = self.snap
        key = f"{kind.value}-{s.clock.round}-{len(s.escalations) + 1}"
        case_id = None
        opens = violation is None or self.ctx.policy.accountability.opens(violation)
        if accountable is not None and opens:
            case_id = f"{s.request_id}-{kind.value.replace('_', '-')}-{len(s.escalations) + 1}"
            self.data.accountability.append(
                AccountabilityCaseInput(
                    case_id=case_id,
                    staff_id=accountable,
                    lead_id=self.ctx.supervisors[0] if self.ctx.supervisors else None,
                    request_id=s.request_id,
                    area_id=s.area_id,
                    rule=rule,
                    violation=f"{reason} (request {s.request_id})",
                    occurred_at=now,
                )
            )
        esc = Escalation(
            key=key,
            kind=kind,
            rule=rule,
            at=now,
            to=list(dict.fromkeys(to)),
            reason=reason,
            accountability_case_id=case_id,
        )
        s.escalations.append(esc)
        self.log(now, f"escalation.{kind.value}", detail=f"{rule}: {reason} -> {', '.join(esc.to)}")
        template = "staff_warning" if kind == EscalationKind.WARNING else "staff_escalation"
        self.notify_staff(
            esc.to,
            template,
            reason=reason,
            rule=rule,
            due_at=self.when(s.clock.due_at),
            limit=s.clock.limit_label or "",
        )
        return esc

    def supervisors_for_breach(self) -> list[str]:
        """R4.7 to the area supervisor; R2.7 leadership too when urgent; R2.9 the window lead
        when the customer came through a service window."""
        to = list(self.ctx.supervisors)
        if self.urgent:
            to += self.ctx.leaders
        if self.snap.channel.value == "counter":
            to += self.ctx.window_leads
        return to


def _fmt(moment: datetime | None, zone: str) -> str:
    """A time in a message or the UI: the operator's zone with its offset (13.6, timefmt)."""
    return _shown(_instant(moment), zone)


def _instant(moment: datetime | None) -> datetime | None:
    """The key the texts of a time are cached by: its UTC instant. (Aware datetimes with the
    same tzinfo compare by wall time, fold ignored: two instants of an hour a DST change
    repeats would share a key; in UTC they never do.) A naive time stays as it is, and is
    refused or read exactly as before."""
    if moment is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(UTC)


# Cached: a case shows the same few instants (its deadline) again and again, and the text
# depends only on the instant and the zone.
@lru_cache(maxsize=4096)
def _shown(moment: datetime | None, zone: str) -> str:
    return human(moment, zone, empty="")


@lru_cache(maxsize=4096)
def _reading(moment: datetime, zone: str) -> str:
    return reading_time(moment, ZoneInfo(zone))


def new_case(data: ServiceRequestInput, ctx: CaseContext, now: datetime) -> Case:
    """Intake (R2.1, R2.2, R2.5, R2.7, R9.2)."""
    received = data.received_at or now
    policy = ctx.policy
    missing = policy.missing_materials(data.kind, data.materials)
    # (四)4 在網絡建設已完成的情況下: an installation where the network is not built waits.
    network_pending = data.kind == Kind.INSTALLATION and not ctx.network_built
    snap = ServiceRequestSnapshot(
        request_id=data.request_id,
        kind=data.kind,
        severity=data.severity,
        channel=data.channel,
        subscriber_id=data.subscriber_id,
        state=(
            CaseState.AWAITING_MATERIALS
            if missing
            else CaseState.AWAITING_NETWORK
            if network_pending
            else CaseState.OPEN
        ),
        network_pending=network_pending,
        owner_id=first_responsible(data.received_by),
        area_id=ctx.area_id,
        priority="normal",
        policy_version=policy.version,
        received_at=received,
        missing_materials=missing,
        materials=list(dict.fromkeys(data.materials)),
    )
    case = Case(CaseData(input=data, ctx=ctx, snap=snap))
    if not missing and not network_pending:
        case.data.clock_start_hint = min(received, now)  # never in the future
    snap.priority = "urgent" if case.urgent else "normal"
    if data.kind == Kind.COMPLAINT:
        # (九)2: the first response of any kind is due within 4 h of the call.
        snap.acknowledge_due_at = received + timedelta(hours=policy.acknowledge_hours)
    if policy.tracking_hours is not None and data.kind in policy.tracking_kinds:
        # (五)1 客戶來電72小時內追蹤工單落實結果: from the customer's call, not the resolution.
        snap.tracking_due_at = received + timedelta(hours=policy.tracking_hours)
    case.log(
        now, "received", by=snap.owner_id, detail=f"{data.kind.value} via {data.channel.value}"
    )
    if missing:
        # R2.5: every missing item in one notice.
        case.log(now, "materials.missing", detail=", ".join(missing))
        case.notify_subscriber("materials_missing", items=material_names(case, missing))
        if policy.materials_window_days is not None:
            # (四)5 材料不及時補辦: the window the customer has to complete them.
            snap.materials_lapse_at = now + timedelta(days=policy.materials_window_days)
    elif network_pending:
        case.log(now, "network.pending", detail="(四)4 network not yet built at this address")
        case.notify_subscriber("network_pending")
    if case.urgent:
        reason = "key account" if ctx.key_account else f"major {data.kind.value}"
        case.escalate(now, EscalationKind.LEADERSHIP_REPORT, "R2.7", ctx.leaders, reason)
    return case


def material_names(case: Case, codes: list[str]) -> str:
    names = {m.code: m.name_zh for m in case.ctx.policy.required_materials(case.snap.kind)}
    return "、".join(names.get(c, c) for c in codes)


__all__ = ["Case", "CaseData", "new_case", "first_responsible", "clk"]
