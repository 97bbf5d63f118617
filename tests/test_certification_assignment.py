"""R8.1 / (七)2c / (八): certificate validity is checked at the time of assignment, on a real
case and a real calendar day: a certificate valid at intake that has expired by the time of the
assignment is refused, with its date; a valid one is accepted. And the reminder before expiry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlmodel import col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.notification_tables import OutboxMessage
from activities.supervision import certification as reg
from activities.supervision.tables import Certification
from cablecare.domain import Role
from starter.service_request import start_service_request
from tests.cases import DISPATCHER, new_request
from tests.org_helpers import OrgEnv, org_environment
from workflows.scheduled.messages import CertificateRemindersInput, CertificateRemindersResult
from workflows.scheduled.workflows import CertificateReminders
from workflows.service_request.messages import AssignUpdate
from workflows.service_request.workflow import ServiceRequest

TZ = ZoneInfo("Asia/Shanghai")


@pytest_asyncio.fixture
async def org(client: Client, database_url: str, tmp_path: Path) -> AsyncIterator[OrgEnv]:
    async with org_environment(client, database_url, tmp_path) as env:
        yield env


def certify(org: OrgEnv, staff_id: str, issued: date, expires: date) -> None:
    with org.sessions() as session:
        reg.certify(
            session, staff_id=staff_id, role=Role.TECHNICIAN, issued_on=issued,
            expires_on=expires, by="SUP-HF-01", validity_months=24,
        )  # fmt: skip
        session.commit()


async def test_r8_1_certificate_expired_by_the_time_of_assignment_is_refused_with_its_date(
    org: OrgEnv, env: WorkflowEnvironment
) -> None:
    today = datetime.now(TZ).date()
    certify(org, "T-HF-01-2", today - timedelta(days=700), today)  # valid through today
    certify(org, "T-HF-02-1", today - timedelta(days=10), today + timedelta(days=700))
    handle = await start_service_request(
        org.client, new_request(request_id=f"T-{uuid.uuid4().hex[:10]}"), task_queue=org.task_queue
    )
    # Today the certificate is still valid: tomorrow (local time) it is not.
    await env.fast_forward(handle, timedelta(days=1, hours=1))
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(
            ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id="T-HF-01-2")
        )
    assert f"certificate expired on {today.isoformat()}" in str(info.value.cause)
    done = await handle.execute_update(
        ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id="T-HF-02-1")
    )
    assert done.technician_id == "T-HF-02-1"


async def test_r8_1_certificate_expired_before_intake_is_refused_with_its_date(
    org: OrgEnv,
) -> None:
    certify(org, "T-HF-01-2", date(2024, 11, 1), date(2026, 10, 31))
    handle = await start_service_request(
        org.client, new_request(request_id=f"T-{uuid.uuid4().hex[:10]}"), task_queue=org.task_queue
    )
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(
            ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id="T-HF-01-2")
        )
    assert "certificate expired on 2026-10-31" in str(info.value.cause)


async def test_8_certificate_reminder_goes_to_the_branch_once_before_expiry(org: OrgEnv) -> None:
    certify(org, "T-HF-01-2", date(2024, 12, 20), date(2026, 12, 19))
    certify(org, "T-HF-02-1", date(2025, 6, 1), date(2027, 5, 31))  # far off: no reminder

    async def run() -> CertificateRemindersResult:
        return await org.client.execute_workflow(
            CertificateReminders.run, CertificateRemindersInput(run_date=date(2026, 12, 1)),
            id=f"cert-reminders-{uuid.uuid4().hex[:6]}", task_queue=org.task_queue,
        )  # fmt: skip

    first, second = await run(), await run()
    assert (first.expiring, first.reminded) == (1, 1)
    assert (second.expiring, second.reminded) == (1, 0)  # once per certificate
    with org.sessions() as session:
        sent = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.template) == "certificate_expiring")
        ).all()
        cert = session.exec(
            select(Certification).where(Certification.staff_id == "T-HF-01-2")
        ).one()
    assert {m.recipient_id for m in sent} == {"SUP-HF-01", "SUP-HF-02", "SUP-HF-03", "SUP-HF-04"}
    # The date as a person reads it (templates render ISO dates so, issue 11 item 13).
    assert all("12月19日" in m.body for m in sent) and cert.reminded_on == date(2026, 12, 1)
