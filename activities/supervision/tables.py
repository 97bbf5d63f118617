"""Tables of the organisation: the company tree and outlets ((四)2, (一)5), the certification
register ((七)2c, (八), R8.1), inspections and their findings ((七)2b/2d/2e, (五)5), the
supervision log ((七)2d) and the published disclosures ((三)5).

Every row written by an activity has a business key (unique), so a retried activity writes it
once. Timestamps are stored in UTC; dates are the operator's local dates.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class CompanyUnit(SQLModel, table=True):
    """(四)2 the company tree: the province company and its city companies / county branches."""

    __tablename__ = "company_unit"

    company_id: str = Field(primary_key=True, max_length=64)
    name: str
    level: str = Field(max_length=20)  # province | city | county
    parent_id: str | None = Field(default=None, max_length=64, index=True)
    head_staff_id: str | None = Field(default=None, max_length=64)  # (三)5 the branch head
    phone: str = ""


class Outlet(SQLModel, table=True):
    """(一)5 a business outlet (营业点) with its address and phone, published."""

    __tablename__ = "outlet"

    outlet_id: str = Field(primary_key=True, max_length=64)
    company_id: str = Field(max_length=64, index=True)
    name: str
    address: str
    phone: str
    hours: str = ""


class Certification(SQLModel, table=True):
    """(七)2c / (八) / R8.1 one certificate: issued after training and assessment."""

    __tablename__ = "certification"
    __table_args__ = (UniqueConstraint("staff_id", "role", "issued_on", name="uq_certification"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(max_length=64, index=True)
    role: str = Field(max_length=30)
    issued_on: date
    expires_on: date = Field(index=True)
    issued_by: str = Field(max_length=64)
    assessment: str = ""  # the training/assessment reference, no personal data
    revoked_on: date | None = None
    revoked_by: str | None = Field(default=None, max_length=64)
    revoke_reason: str | None = None
    reminded_on: date | None = None  # the branch was reminded of the coming expiry


class InspectionRecord(SQLModel, table=True):
    """(七)2b / (四)2 / (五)5 one planned inspection, as its workflow last recorded it."""

    __tablename__ = "inspection"

    inspection_id: str = Field(primary_key=True, max_length=100)
    workflow_id: str = Field(max_length=128)
    kind: str = Field(max_length=30, index=True)  # supervision_office | province | self
    inspector_id: str = Field(max_length=64)
    target_kind: str = Field(max_length=20)  # outlet | area | branch
    target_id: str = Field(max_length=64)
    branch_id: str = Field(max_length=64, index=True)
    period: str = Field(max_length=7, index=True)  # YYYY-MM
    planned_for: date
    state: str = Field(max_length=20, index=True)
    completed_at: datetime | None = None
    policy_version: str = Field(max_length=40)


class FindingRecord(SQLModel, table=True):
    """(七)3 a finding, its correction deadline and what became of it."""

    __tablename__ = "inspection_finding"
    __table_args__ = (UniqueConstraint("inspection_id", "finding_id", name="uq_finding"),)

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: str = Field(max_length=100, index=True)
    finding_id: str = Field(max_length=64)
    branch_id: str = Field(max_length=64, index=True)
    item: str = Field(max_length=40)
    system: str = Field(max_length=30)
    responsible_staff_id: str | None = Field(default=None, max_length=64)
    recorded_at: datetime
    due_at: datetime
    state: str = Field(max_length=20)
    corrected_at: datetime | None = None  # correction reported
    verified_at: datetime | None = None
    escalated_at: datetime | None = None
    accountability_case_id: str | None = Field(default=None, max_length=100)
    # Which write is newest: (rejections, step) as one number; an older retry never overwrites.
    progress: int = 0


class SupervisionEvent(SQLModel, table=True):
    """(七)2d the supervision log: every inspection step, finding, correction, decision and
    publication change, once per business key."""

    __tablename__ = "supervision_event"
    __table_args__ = (UniqueConstraint("key", name="uq_supervision_event_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)
    at: datetime = Field(index=True)
    kind: str = Field(max_length=40, index=True)
    branch_id: str | None = Field(default=None, max_length=64, index=True)
    area_id: str | None = Field(default=None, max_length=64)
    inspection_id: str | None = Field(default=None, max_length=100, index=True)
    finding_id: str | None = Field(default=None, max_length=64)
    by: str | None = Field(default=None, max_length=64)
    detail: str = ""


class PublishedDisclosure(SQLModel, table=True):
    """(三)5 the disclosure as last published for a scope (an area), with its fingerprint:
    a directory load that changes what is published makes a new version."""

    __tablename__ = "published_disclosure"

    scope_id: str = Field(primary_key=True, max_length=100)
    version: int = 1
    fingerprint: str = Field(max_length=64)
    published_at: datetime
    document: dict[str, object] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
