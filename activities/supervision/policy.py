"""The supervision policy (policy/supervision-policy.toml): checklist, correction period,
certificate validity, the monthly inspection plan and the area contracting targets ((三)3).

A file of its own beside the SLA policy: it changes on a different rhythm (the supervision
office's yearly plan) and it never affects a running service request.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cablecare import REPO_ROOT


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChecklistItem(_Strict):
    code: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    system: str = Field(pattern=r"^[a-z_]{1,30}$")
    text_zh: str
    text_en: str


class Targets(_Strict):
    """(三)3 monthly targets of an area's responsible person."""

    complaint_rate_max: float = Field(ge=0)
    response_24h_min: float = Field(ge=0, le=1)
    satisfaction_min: float = Field(ge=0, le=1)
    growth_attainment_min: float = Field(ge=0)


class Category(_Strict):
    max_missed: int = Field(ge=0)
    code: str
    name_zh: str


class SupervisionPolicy(_Strict):
    version: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    correction_days: int = Field(gt=0)
    escalation_opens_accountability: bool = True
    self_inspection_day: int = Field(ge=1, le=28)
    province_interval_months: int = Field(ge=1, le=12)
    province_inspection_day: int = Field(ge=1, le=28)
    certificate_validity_months: int = Field(gt=0)
    certificate_reminder_days: int = Field(ge=0)
    certified_roles: list[str]
    checklist: list[ChecklistItem] = Field(min_length=1)
    targets: Targets
    categories: list[Category] = Field(min_length=1)

    def category(self, missed: int) -> Category:
        """(三)3 the reward/penalty category for this many missed targets."""
        for c in sorted(self.categories, key=lambda c: c.max_missed):
            if missed <= c.max_missed:
                return c
        return max(self.categories, key=lambda c: c.max_missed)


DEFAULT_PATH = REPO_ROOT / "policy" / "supervision-policy.toml"


def policy_path_beside(sla_policy_path: Path) -> Path:
    """The supervision policy sits beside the SLA policy; the repository's one otherwise."""
    candidate = sla_policy_path.parent / "supervision-policy.toml"
    return candidate if candidate.exists() else DEFAULT_PATH


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> SupervisionPolicy:
    with path.open("rb") as fh:
        return SupervisionPolicy.model_validate(tomllib.load(fh))


def load_supervision_policy(path: Path = DEFAULT_PATH) -> SupervisionPolicy:
    """Parsed again only when the file changes."""
    return _load(path, path.stat().st_mtime)
