"""Inputs and results of the workflows that Temporal Schedules run (docs/contract.md "Scheduled").

Every input is optional: a Schedule starts them with `{}` and the workflow takes its period
from the Schedule's nominal time (so a run caught up late still covers the right day/month).
An operator can start them by hand for a given day or period.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from cablecare.storable import BoundedDate
from workflows.common import Message, Record

FEE_REMINDERS = "FeeReminders"
KEY_ACCOUNT_CALLBACKS = "KeyAccountCallbackPlan"
AREA_ASSESSMENT = "AreaAssessment"
CERTIFICATE_REMINDERS = "CertificateReminders"

# Years 2000-2099 only: the same bounds as every timestamp (cablecare/storable.py, issue 9.4).
Month = Annotated[str, StringConstraints(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")]
Period = Annotated[str, StringConstraints(pattern=r"^20\d{2}(-(0[1-9]|1[0-2]))?$")]


class FeeRemindersInput(Message):
    run_date: BoundedDate | None = None  # the operator's local date; default: the scheduled day


class FeeRemindersResult(Record):
    run_date: date
    offsets: list[int]
    reminded: dict[int, int] = Field(default_factory=dict)  # offset -> new reminders
    already_reminded: int = 0
    by_channel: dict[str, int] = Field(default_factory=dict)


class KeyAccountCallbacksInput(Message):
    period: Month | None = None  # YYYY-MM; default: the month of the scheduled time


class KeyAccountCallbacksResult(Record):
    period: str
    key_accounts: int
    created: int
    unassigned: int


class AssessmentKind(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class AssessmentInput(Message):
    kind: AssessmentKind = AssessmentKind.MONTHLY
    period: Period | None = None  # YYYY-MM or YYYY; default: the previous month / year


class AssessmentResult(Record):
    kind: AssessmentKind
    period: str
    areas: int
    over_norm: list[str]
    work_orders: int
    complaints: int


# Activity arguments: the workflow input plus the run's nominal time (one model per call).
class FeeRemindersRun(Record):
    request: FeeRemindersInput
    as_of: datetime


class KeyAccountCallbacksRun(Record):
    request: KeyAccountCallbacksInput
    as_of: datetime


class AssessmentRun(Record):
    request: AssessmentInput
    as_of: datetime


class CertificateRemindersInput(Message):
    run_date: date | None = None  # the operator's local date; default: the scheduled day


class CertificateRemindersResult(Record):
    run_date: date
    reminded: int  # new reminders (one per certificate, ever)
    expiring: int  # certificates expiring within the policy's reminder days


class CertificateRemindersRun(Record):
    request: CertificateRemindersInput
    as_of: datetime
