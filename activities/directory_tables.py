"""Directory tables: areas, staff, subscribers (docs/contract.md "Directory data", R3.1, R8.1).

They come from the operator's other systems through `cablecare directory load`.
Personal data (names, phones, addresses) lives only here, never in Temporal.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from cablecare.domain import Company, Setting


class Area(SQLModel, table=True):
    __tablename__ = "area"

    area_id: str = Field(primary_key=True, max_length=64)
    name: str
    setting: Setting
    company: Company
    households: int = Field(ge=0)
    technician_id: str = Field(max_length=64)  # R3.1 the one responsible maintenance person
    service_phone: str
    supervision_phone: str
    growth_target: int = 0  # R3.4 yearly net subscriber growth target
    network_built: bool = True  # (四)4 False: installations wait for construction
    # (四)2 the city company / county branch the area belongs to (company_unit.company_id)
    branch_id: str | None = Field(default=None, max_length=64, index=True)
    boundary: str = ""  # (三)5 the streets/villages the area covers, as published


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    staff_id: str = Field(primary_key=True, max_length=64)
    name: str
    rank: int = Field(ge=0)  # R2.2 higher rank = first-responsible person
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    area_id: str | None = Field(default=None, index=True, max_length=64)
    certified_roles: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # R8.1
    phone: str = ""
    photo_ref: str | None = None  # R3.2 photo reference for the public disclosure
    reports_to: str | None = Field(default=None, max_length=64)  # (六)4 the person's superior
    # (四)2 the staff member's company when it is not their area's (province staff)
    company_id: str | None = Field(default=None, max_length=64)
    outlet_id: str | None = Field(default=None, max_length=64)  # (一)6 hall staff of an outlet


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscriber"

    subscriber_id: str = Field(primary_key=True, max_length=64)
    name: str
    phone: str
    address: str
    area_id: str = Field(index=True, max_length=64)
    key_account: bool = False
    hardship: bool = False  # R9.8 reduced tariff
    fee_expires_on: date | None = Field(default=None, index=True)
    network_built: bool | None = None  # (四)4 this address; None: as its area says
