"""Process settings, from the environment (pydantic-settings). One place for every knob."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cablecare import REPO_ROOT
from cablecare.domain import TASK_QUEUE

VAR_DIR = REPO_ROOT / "var"


def _default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'cablecare.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CABLECARE_", extra="ignore")

    database_url: str = Field(
        default_factory=_default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "CABLECARE_DATABASE_URL"),
    )
    policy_path: Path = REPO_ROOT / "policy" / "sla-policy.toml"
    calendar_overrides_path: Path | None = REPO_ROOT / "policy" / "calendar-overrides.toml"
    task_queue: str = TASK_QUEUE
    var_dir: Path = VAR_DIR

    # Who is acting (cablecare/auth/, README "Identity"). `required` everywhere by default;
    # `off` is an explicit choice for tests of other things, logged loudly at worker start.
    auth: Literal["required", "off"] = "required"
    auth_issuer: str | None = None  # the OIDC issuer (`iss`) of actor tokens
    auth_audience: str = "cablecare"  # the `aud` the IdP puts in tokens for this system
    auth_jwks_url: str | None = None  # the IdP's JWKS (https://... or file://...)
    auth_staff_claim: str = "sub"  # the claim naming the staff id
    auth_services_path: Path | None = REPO_ROOT / "policy" / "service-identities.toml"
    # A new or retired signing key takes effect this long after a worker first saw the change,
    # and a worker whose copy of the key archive is older refuses to decide (keys.py).
    auth_key_delay_seconds: int = 300
    auth_key_sync_seconds: int = 30
    # The codec server decrypts customer data only for staff holding one of these roles.
    auth_customer_data_roles: list[str] = [
        "counter",
        "dispatcher",
        "callback",
        "supervisor",
        "leader",
        "business_lead",
        "window_lead",
    ]


@lru_cache
def get_settings() -> Settings:
    return Settings()
