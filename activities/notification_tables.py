"""The outbox: every message the system sends, once per business key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (UniqueConstraint("key", name="uq_outbox_message_key"),)

    id: int | None = Field(default=None, primary_key=True)
    # Business key, e.g. "service-request-R1/sms/resolved/3": a retry never sends twice.
    key: str = Field(max_length=300)
    channel: str = Field(max_length=20, index=True)
    recipient_kind: str = Field(max_length=20)
    recipient_id: str = Field(max_length=64, index=True)
    template: str = Field(max_length=64)
    params: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body: str
    created_at: datetime
    sent_at: datetime | None = None
