"""Process settings, from the environment (pydantic-settings). One place for every knob."""

from functools import lru_cache
from pathlib import Path

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
