"""The signing-key archive (cablecare/auth/keys.py): every public key the workers ever trusted.

Append-only: a key is inserted once (first worker to see it wins, `first_seen_us` never changes)
and its retirement is recorded once; nothing is ever deleted. Times are integer microseconds
since the epoch so that every worker, on SQLite or PostgreSQL, reads exactly the same instant:
replaying a history must give the same verdict on any worker.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class TrustedSigningKey(SQLModel, table=True):
    __tablename__ = "trusted_signing_key"

    issuer: str = Field(primary_key=True, max_length=300)
    kid: str = Field(primary_key=True, max_length=200)
    jwk: str  # the public JWK as JSON text, as the IdP published it
    first_seen_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    retired_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
