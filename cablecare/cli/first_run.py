"""Demo cases for the first `cablecare dev` (issue 13 item 4): something to look at.

Real `ServiceRequest` workflows, started and driven through their public messages on the
embedded server, with per-workflow time skipping where a deadline has to pass (a breach, a
complaint not acknowledged in 4 h). Nothing is written to a table directly: the work orders,
escalations and callbacks that `cablecare report monthly` counts are the ones the workflows
record through their activities.

- **Live cases** (received now): one resting in each state a case rests in with the sample
  directory (awaiting_materials, assigned, in_progress, awaiting_callback, closed,
  deemed_completed, cancelled), breached ones, one due within 4 h, an urgent key-account fault.
  `open` lasts only until the area's technician is assigned (every sample area has one), and a
  resolved case moves straight on to awaiting_callback or closed.
- **Last month** (`received_at` in the previous month, which the contract allows for a request
  registered after it was received): complaints and faults in every area, resolved, with
  callbacks. They passed their limits before they were registered, so they count as breached,
  and their first response and callbacks are dated now (the workflow's clock cannot go back):
  the previous month's report shows complaints, work orders and breaches; its response and
  satisfaction figures are in the current month's report.

One module, so that the simulation package (cablecare/simulate/) can replace it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError

from cablecare import REPO_ROOT
from cablecare.domain import Kind
from cablecare.policy import SlaPolicy, load_policy
from cablecare.settings import Settings
from starter.service_request import start_service_request
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    CancelUpdate,
    RecordCallbackUpdate,
    ReportProgressUpdate,
    ReportUnreachableUpdate,
    ResolveUpdate,
    ServiceRequestInput,
    Update,
)
from workflows.service_request.state import ServiceRequestSnapshot

log = structlog.get_logger(__name__)

SAMPLE_DIRECTORY = REPO_ROOT / "data" / "sample-directory.json"
FastForward = Callable[[WorkflowHandle[Any, Any], timedelta], Awaitable[bool]]
Handle = WorkflowHandle[Any, Any]


@dataclass(frozen=True)
class _Directory:
    """Who is who in the sample directory, by area."""

    subscribers: dict[str, list[str]]  # area -> ordinary subscribers
    key_accounts: list[str]
    technician: dict[str, str]  # area -> its technician
    counter: dict[str, str]  # area -> a counter clerk of the area's company
    callback_agent: dict[str, str]  # area -> a callback agent of the area's company

    @classmethod
    def sample(cls) -> _Directory:
        data = json.loads(SAMPLE_DIRECTORY.read_text(encoding="utf-8"))
        subscribers: dict[str, list[str]] = {}
        for s in data["subscribers"]:
            if not s.get("key_account"):
                subscribers.setdefault(s["area_id"], []).append(s["subscriber_id"])
        staff = data["staff"]
        company = {a["area_id"]: a["company"] for a in data["areas"]}

        def by_company(role: str) -> dict[str, str]:
            found = {company[s["area_id"]]: s["staff_id"] for s in staff if role in s["roles"]}
            return {area: found[c] for area, c in company.items() if c in found}

        return cls(
            subscribers=subscribers,
            key_accounts=[s["subscriber_id"] for s in data["subscribers"] if s.get("key_account")],
            technician={a["area_id"]: a["technician_id"] for a in data["areas"]},
            counter=by_company("counter"),
            callback_agent=by_company("callback"),
        )

    def subscriber(self, area: str, n: int) -> str:
        pool = self.subscribers[area]
        return pool[n % len(pool)]


class _Demo:
    def __init__(
        self, client: Client, fast_forward: FastForward, prefix: str, policy: SlaPolicy
    ) -> None:
        self.client, self.fast_forward, self.prefix = client, fast_forward, prefix
        self.dir = _Directory.sample()
        self.installation_materials = [m.code for m in policy.required_materials(Kind.INSTALLATION)]
        self.handles: list[Handle] = []
        self.now = datetime.now(UTC)

    async def start(
        self,
        name: str,
        area: str,
        *,
        kind: str = "fault",
        severity: str = "ordinary",
        subscriber: str | None = None,
        materials: list[str] | None = None,
        received_at: datetime | None = None,
        n: int = 0,
    ) -> Handle:
        request = ServiceRequestInput.model_validate(
            {
                "request_id": f"{self.prefix}-{name}",
                "kind": kind,
                "severity": severity,
                "subscriber_id": subscriber or self.dir.subscriber(area, n),
                "channel": "phone",
                "received_by": [{"staff_id": self.dir.counter[area], "rank": 1}],
                "description": _DESCRIPTIONS[kind],
                "materials": materials or [],
                "received_at": received_at,
                # Issue 9.4: last month's requests enter through the import path (a
                # received_at older than the intake window), as a migration would.
                "imported": received_at is not None and received_at < self.now - _WINDOW,
            }
        )
        with acting_as(request.received_by[0].staff_id):
            handle = await start_service_request(self.client, request)
        self.handles.append(handle)
        await self._settled(handle)
        return handle

    async def _settled(self, handle: Handle) -> None:
        """Wait until intake is done and the clock runs (or materials are awaited): an update
        sent earlier could meet a case that has no technician yet."""
        for _ in range(600):
            try:
                snap = await handle.query("status", result_type=ServiceRequestSnapshot)
                if snap.technician_id or snap.missing_materials:
                    return
            except WorkflowQueryFailedError:
                pass  # still being registered
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{handle.id} did not finish its intake")

    async def update(self, handle: Handle, name: Update, message: Any) -> ServiceRequestSnapshot:
        for attempt in range(60):
            try:
                with acting_as(_acting_staff(name, message)):
                    result: ServiceRequestSnapshot = await handle.execute_update(
                        name, message, result_type=ServiceRequestSnapshot
                    )
                return result
            except WorkflowUpdateFailedError as error:
                # A retryable refusal (the worker refreshing its keys, a case still opening):
                # send again, as any client should (docs/contract.md, "Errors").
                cause = error.cause
                if not isinstance(cause, ApplicationError) or cause.non_retryable or attempt == 59:
                    raise
                await asyncio.sleep(1.0)
        raise AssertionError("unreachable")

    async def resolve(self, handle: Handle, area: str) -> ServiceRequestSnapshot:
        tech = self.dir.technician[area]
        await self.update(
            handle,
            Update.REPORT_PROGRESS,
            ReportProgressUpdate(technician_id=tech, status="on_site"),
        )
        return await self.update(
            handle, Update.RESOLVE, ResolveUpdate(by=tech, resolution="修复完成 repaired")
        )

    async def callback(self, handle: Handle, area: str, *, satisfied: bool) -> None:
        note = "满意 satisfied" if satisfied else "等待时间太长 waited too long"
        await self.update(
            handle,
            Update.RECORD_CALLBACK,
            RecordCallbackUpdate(
                agent_id=self.dir.callback_agent[area], reached=True, satisfied=satisfied, note=note
            ),
        )

    async def past_limit(self, handle: Handle, extra: timedelta = timedelta(hours=1)) -> None:
        """Fast-forward the case's own clock past its time limit (a real breach)."""
        snap = await handle.query("status", result_type=ServiceRequestSnapshot)
        started, due = snap.clock.started_at, snap.clock.due_at
        if started is None or due is None:
            raise RuntimeError(f"{handle.id}: the clock has not started")
        await self.fast_forward(handle, due - started + extra)

    # --- the scenarios ---------------------------------------------------------------------
    async def live(self, now: datetime) -> None:
        d = self.dir
        await self.start("materials", "A-HF-02", kind="installation")  # awaiting_materials
        await self.start("assigned", "A-HF-03")
        h = await self.start("on-site", "A-FD-01")
        await self.update(
            h,
            Update.REPORT_PROGRESS,
            ReportProgressUpdate(technician_id=d.technician["A-FD-01"], status="on_site"),
        )
        await self.resolve(await self.start("resolved", "A-HF-04"), "A-HF-04")  # awaiting_callback
        h = await self.start("closed", "A-HF-01", n=3)
        await self.resolve(h, "A-HF-01")
        await self.callback(h, "A-HF-01", satisfied=True)
        h = await self.start("not-home", "A-FD-03")
        await self.update(
            h,
            Update.REPORT_UNREACHABLE,
            ReportUnreachableUpdate(
                technician_id=d.technician["A-FD-03"],
                reason="not_home",
                report="三次上门均无人 nobody home on three visits",
            ),
        )
        h = await self.start("cancelled", "A-HF-02", kind="consultation", n=1)
        await self.update(
            h,
            Update.CANCEL,
            CancelUpdate(by=d.counter["A-HF-02"], reason="客户撤回 withdrawn by the customer"),
        )
        h = await self.start("complaint-acked", "A-HF-01", kind="complaint", n=4)
        await self.update(
            h,
            Update.ACKNOWLEDGE,
            AcknowledgeUpdate(by=d.counter["A-HF-01"], note="已致电 called back"),
        )
        # Due within 4 h: received 21 h ago, on a 24 h fault limit.
        await self.start("due-soon", "A-HF-03", n=1, received_at=now - timedelta(hours=21))
        await self.start("urgent", "A-HF-01", severity="major", subscriber=d.key_accounts[0])
        # Breached: their own clocks run past the limit.
        await self.past_limit(await self.start("breached", "A-FD-02"))
        h = await self.start("breached-resolved", "A-HF-04", n=1)
        await self.past_limit(h)
        await self.resolve(h, "A-HF-04")
        h = await self.start("complaint-late", "A-FD-01", kind="complaint", n=1)
        await self.fast_forward(h, timedelta(hours=5))  # R9.2: not acknowledged within 4 h

    async def last_month(self, first_day: datetime) -> None:
        areas = sorted(self.dir.technician)
        for i, area in enumerate(areas):
            received = first_day + timedelta(days=2 + 3 * i, hours=10)
            await self.start(f"m-complaint-{i}", area, kind="complaint", received_at=received, n=5)
            h = await self.start(f"m-fault-{i}", area, received_at=received, n=6)
            await self.resolve(h, area)
            await self.callback(h, area, satisfied=i % 3 != 0)
            if i % 2 == 0:
                await self.start(
                    f"m-install-{i}",
                    area,
                    kind="installation",
                    materials=self.installation_materials,
                    received_at=received + timedelta(hours=2),
                    n=7,
                )


_WINDOW = timedelta(days=6)  # inside the policy's 7-day intake window: no import flag needed

_DESCRIPTIONS = {
    "fault": "所有频道无信号 no signal on any channel",
    "installation": "新装机顶盒 new set-top box",
    "complaint": "维修人员迟到 the technician came late",
    "consultation": "资费咨询 question about the tariff",
    "restoration": "恢复开通 restore the service",
}


def previous_month_start(now: datetime, timezone: str) -> datetime:
    """Midnight of the first day of the month before `now`'s, in the operator's zone."""
    local = now.astimezone(ZoneInfo(timezone))
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first - timedelta(days=1)).replace(day=1)


async def generate(
    client: Client,
    fast_forward: FastForward,
    *,
    policy: SlaPolicy,
    prefix: str = "DEMO",
    now: datetime | None = None,
) -> list[str]:
    """Run the demo cases; return their workflow ids. `client` must stamp time-skipping
    config on its starts (TimeSkipper) for `fast_forward` to work."""
    now = now or datetime.now(UTC)
    demo = _Demo(client, fast_forward, prefix, policy)
    await demo.live(now)
    await demo.last_month(previous_month_start(now, policy.timezone))
    return [h.id for h in demo.handles]


# Issue 10: every message the generator sends carries a token of the staff member it names,
# issued by `cablecare dev`'s local issuer, exactly as a real client would send.
_ACTING: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting", default=None)


class acting_as:
    def __init__(self, staff_id: str | None) -> None:
        self.staff_id = staff_id

    def __enter__(self) -> None:
        self._reset = _ACTING.set(self.staff_id)

    def __exit__(self, *_: object) -> None:
        _ACTING.reset(self._reset)


def _acting_staff(name: str, message: Any) -> str | None:
    from cablecare.auth.acting import rule_for

    rule = rule_for(f"ServiceRequest.{name}")
    for field in rule.fields if rule else ():
        value = getattr(message, field, None)
        if value is not None:
            return str(value)
    return None


def _acting_client(client: Client, settings: Settings) -> Client:
    """`client` with a token of whoever the current message names (none with auth off)."""
    if settings.auth == "off":
        return client
    from cablecare.auth.client import ActorToken
    from cablecare.auth.issuer import LocalIssuer

    issuer = LocalIssuer(settings.var_dir / "auth")
    issuer.ensure()

    def source() -> str | None:
        staff_id = _ACTING.get()
        # Long-lived: the demo moves its cases' own clocks days ahead (time skipping), and a
        # token is checked against the case's clock. Dev issuer, sample staff only.
        return issuer.issue(staff_id, timedelta(days=45)) if staff_id else None

    config = client.config()
    config["interceptors"] = [ActorToken(source)]
    return Client(**config)


def run_in_background(client: Client, settings: Settings) -> asyncio.Task[None]:
    """Generate the demo cases beside the running worker; a failure is logged, never fatal."""
    from temporalio.testing import TimeSkipper, TimeSkippingConfig

    # Off by default: a case's clock only moves when the generator fast-forwards it.
    skipper = TimeSkipper(
        _acting_client(client, settings), config=TimeSkippingConfig(enabled=False)
    )

    async def run() -> None:
        try:
            policy = load_policy(settings.policy_path)
            ids = await generate(skipper.client, skipper.fast_forward, policy=policy)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            cause = getattr(error, "cause", None)  # an update's refusal: say why
            log.warning(
                "demo cases not completed",
                error=str(error) + (f": {cause}" if cause else ""),
                error_type=type(error).__name__,
            )
            return
        log.info("demo cases ready", cases=len(ids), prefix="DEMO")

    return asyncio.create_task(run(), name="demo-cases")
