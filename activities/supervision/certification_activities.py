"""(八) / R8.1 a reminder to the branch before a certificate expires (the daily Schedule
`certificate-reminders-daily`): once per certificate, to the supervisors of its branch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from temporalio import activity

from activities.db import SessionFactory
from activities.directory_tables import Staff
from activities.notifications import Channel, Notification, NotificationSender, RecipientKind
from activities.supervision import org
from activities.supervision.certification import newest
from activities.supervision.policy import load_supervision_policy, policy_path_beside
from activities.supervision.tables import Certification
from cablecare.settings import Settings
from workflows.scheduled.messages import CertificateRemindersResult, CertificateRemindersRun

REMIND_CERTIFICATES = "remind_expiring_certificates"


class CertificationActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [self.remind_expiring_certificates]

    @activity.defn(name=REMIND_CERTIFICATES)
    def remind_expiring_certificates(
        self, data: CertificateRemindersRun
    ) -> CertificateRemindersResult:
        policy = load_supervision_policy(policy_path_beside(self.settings.policy_path))
        today = data.request.run_date or data.as_of.astimezone(ZoneInfo(policy.timezone)).date()
        horizon = today + timedelta(days=policy.certificate_reminder_days)
        reminded = expiring = 0
        with self.sessions() as session:
            current = {c.id for roles in newest(session).values() for c in roles.values()}
            rows = session.exec(
                select(Certification).where(
                    col(Certification.expires_on) >= today,
                    col(Certification.expires_on) <= horizon,
                    col(Certification.revoked_on).is_(None),
                )
            ).all()
            for cert in rows:
                if cert.id not in current:
                    continue  # renewed already: the newer certificate counts
                expiring += 1
                if cert.reminded_on is not None:
                    continue
                staff = session.get(Staff, cert.staff_id)
                branch = org.company_of_staff(session, staff) if staff else None
                for sup in org.branch_supervisors(session, branch) if branch else []:
                    self.sender.send(
                        Notification(
                            key=f"cert-reminder/{cert.id}/{sup}", channel=Channel.STAFF,
                            recipient_kind=RecipientKind.STAFF, recipient_id=sup,
                            template="certificate_expiring",
                            params={"staff_id": cert.staff_id, "role": cert.role,
                                    "expires_on": cert.expires_on.isoformat()},
                        )
                    )  # fmt: skip
                cert.reminded_on = today
                session.add(cert)
                reminded += 1
            session.commit()
        return CertificateRemindersResult(run_date=today, reminded=reminded, expiring=expiring)
