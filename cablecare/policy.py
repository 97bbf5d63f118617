"""The SLA policy: every number of the rules (docs/rules.md) as versioned data.

Loaded from a TOML file in the repository (`policy/sla-policy.toml`). Each case snapshots the
policy it started with, so a later policy change never alters a running case.
Pure pydantic, no I/O beyond `load_policy`, so workflow code may import the model.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cablecare.domain import AccountabilitySeverity, Company, Kind, Setting, Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeLimit(_Strict):
    """One time limit (R4.3, R4.4). Exactly one of `hours` (plain elapsed hours, 24/7) or
    `working_days` (ends 24:00 local time of the Nth working day after the start day)."""

    kind: Kind
    severity: Severity | None = None  # None: any severity
    setting: Setting | None = None  # None: urban and rural alike
    hours: int | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, gt=0)
    rule: str = Field(description="Rule ID that sets this limit, e.g. R4.3")
    # Issue 11 item 12: a limit the regulation does not set (consultations) is the operator's
    # own commitment, said so in the disclosure, and its breach opens no accountability case
    # unless the policy says it does.
    commitment: Literal["regulation", "operator"] = "regulation"
    opens_accountability: bool = True

    @model_validator(mode="after")
    def _one_unit(self) -> TimeLimit:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError("give exactly one of 'hours' or 'working_days'")
        return self

    @property
    def label(self) -> str:
        if self.hours is not None:
            return f"{self.hours} h {self.kind.value} deadline"
        return f"{self.working_days} working-day {self.kind.value} deadline"


class Material(_Strict):
    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name_zh: str
    name_en: str


class FeeItem(_Strict):
    """R1.1 / R9.8: fee items are public; hardship households pay the reduced tariff."""

    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    amount_yuan: float = Field(ge=0)
    hardship_amount_yuan: float | None = Field(default=None, ge=0)


class AccountabilityOutcome(_Strict):
    """(六)5: what each severity leads to, in the seed's words (the decision shows them)."""

    severity: AccountabilitySeverity
    outcome_zh: str
    outcome_en: str


class Violation(StrEnum):
    """(六)2: the events of a case that are violations of a system of the regulation. The
    policy says which of them open an accountability case (issue 11 item 11)."""

    BREACH = "breach"  # (四)7 a time limit passed
    ACKNOWLEDGE_OVERDUE = "acknowledge_overdue"  # (九)2 no response to a complaint in 4 h
    APPOINTMENT_MISSED = "appointment_missed"  # (九)7
    CALLBACK_OVERDUE = "callback_overdue"  # (五)1 / (九)6
    TRACKING_OVERDUE = "tracking_overdue"  # (五)1 work order not tracked within 72 h
    FIRST_ACTION_OVERDUE = "first_action_overdue"  # (四)6 urgent case not taken up at once


class AccountabilityPolicy(_Strict):
    statement_working_days: int = Field(default=3, gt=0)  # R6.8
    lookback_days: int = Field(default=365, gt=0)  # R6.6 "within one year"
    # (六)6 "一年內出現兩次以上": 以上 includes the number, and the act being decided counts, so
    # the second accountable act within the year aggravates.
    aggravating_violation_count: int = Field(default=2, gt=0)
    outcomes: list[AccountabilityOutcome]
    # (六)1-2: which violations open a case; absent ones open none.
    violations: dict[Violation, bool] = Field(
        default_factory=lambda: {
            Violation.BREACH: True,
            Violation.ACKNOWLEDGE_OVERDUE: True,
            Violation.APPOINTMENT_MISSED: True,
        }
    )

    def opens(self, violation: Violation) -> bool:
        return self.violations.get(violation, False)

    @model_validator(mode="after")
    def _every_severity(self) -> AccountabilityPolicy:
        missing = set(AccountabilitySeverity) - {o.severity for o in self.outcomes}
        if missing:
            raise ValueError(f"no outcome for severity {sorted(missing)}")
        return self

    def outcome_for(self, severity: AccountabilitySeverity) -> AccountabilityOutcome:
        return next(o for o in self.outcomes if o.severity == severity)


class Contacts(_Strict):
    hotline: str
    supervision_phone: str
    company_name_zh: str
    company_name_en: str


class SlaPolicy(_Strict):
    version: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    contacts: Contacts
    warning_fraction: float = Field(default=0.75, gt=0, lt=1)  # R7.3
    # (九)2 "確保4小時應答": the first response of any kind to a complainant within 4 h.
    acknowledge_hours: int = Field(default=4, gt=0)
    callback_hours: int = Field(default=72, gt=0)  # R5.1, R9.6
    # The clocks below are off (None) in policies written before issue 11, so cases that
    # started under such a policy keep the behaviour they started with (and replay unchanged).
    # (五)1: every repair and complaint work order tracked within 72 h of the customer's call.
    tracking_hours: int | None = Field(default=None, gt=0)
    tracking_kinds: list[Kind] = Field(default_factory=lambda: [Kind.FAULT, Kind.COMPLAINT])
    # (四)6 急事急辦: an urgent case is taken up (accepted) within this many hours.
    urgent_accept_hours: float | None = Field(default=None, gt=0)
    # (四)5 materials not supplemented in time: the window, with a reminder half-way.
    materials_window_days: int | None = Field(default=None, gt=0)
    callback_kinds: list[Kind]  # R5.1, R9.6: repairs, complaints, installations
    urgent_kinds_major: list[Kind] = Field(default_factory=lambda: [Kind.FAULT, Kind.COMPLAINT])
    time_limits: list[TimeLimit]
    materials: dict[Kind, list[Material]] = Field(default_factory=dict)  # R2.5
    staffing_norms: dict[Company, int]  # R3.1 households per maintenance person
    maintenance_notice_hours: int = Field(default=24, gt=0)  # R9.5
    # Intake time bounds (issue 9.4): how old `received_at` may be at the start of a live case
    # (older requests go through the import path) and how far ahead of the workflow's clock.
    intake_window_days: int = Field(default=7, gt=0)
    intake_clock_skew_minutes: int = Field(default=5, ge=0)
    fee_reminder_offsets_days: list[int] = Field(default_factory=lambda: [15, 3])  # R9.5
    fees: list[FeeItem] = Field(default_factory=list)
    accountability: AccountabilityPolicy

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # R4.4: "24:00 local time" needs a real zone; refuse a typo at load, not at case start.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r} (an IANA name, e.g. Asia/Shanghai)"
            ) from None
        return value

    @model_validator(mode="after")
    def _every_kind_has_a_limit(self) -> SlaPolicy:
        for kind in Kind:
            for severity in Severity:
                for setting in Setting:
                    self.time_limit(kind, severity, setting)  # raises when a case is uncovered
        if set(self.staffing_norms) != set(Company):
            raise ValueError("staffing_norms needs a number for 'city' and 'county'")
        return self

    def time_limit(self, kind: Kind, severity: Severity, setting: Setting) -> TimeLimit:
        """The most specific limit for this case (a rule naming severity/setting wins).

        Two equally specific matches are ambiguous and refused (the validator checks every case
        at load time, so a loaded policy never raises here).
        """
        matches = [
            lim
            for lim in self.time_limits
            if lim.kind == kind
            and lim.severity in (None, severity)
            and lim.setting in (None, setting)
        ]
        if not matches:
            raise ValueError(
                f"time_limits: no limit for kind={kind.value} severity={severity.value} "
                f"setting={setting.value}"
            )

        def specificity(lim: TimeLimit) -> int:
            return (lim.severity is not None) + (lim.setting is not None)

        best = max(specificity(lim) for lim in matches)
        winners = [lim for lim in matches if specificity(lim) == best]
        if len(winners) > 1:
            # Two equally specific entries would let the file's order decide silently.
            raise ValueError(
                f"time_limits: {len(winners)} equally specific limits for kind={kind.value} "
                f"severity={severity.value} setting={setting.value}; make one more specific"
            )
        return winners[0]

    def required_materials(self, kind: Kind) -> list[Material]:
        return list(self.materials.get(kind, []))

    def missing_materials(self, kind: Kind, provided: list[str] | set[str]) -> list[str]:
        """R2.5: the complete list of missing items, in the policy's order, in one answer."""
        have = set(provided)
        return [m.code for m in self.required_materials(kind) if m.code not in have]

    def needs_callback(self, kind: Kind) -> bool:
        return kind in self.callback_kinds


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the wrong field."""


def load_policy(path: Path) -> SlaPolicy:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"policy file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path} is not valid TOML: {exc}") from exc
    try:
        return SlaPolicy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PolicyError(f"policy file {path} refused: {problems}") from exc


_loaded: dict[Path, tuple[tuple[int, int], SlaPolicy]] = {}


def current_policy(path: Path) -> SlaPolicy:
    """The policy in `path`, parsed again only when the file changes (mtime or size).

    Activities call this for every new case: an edited policy applies to the next case without
    a worker restart, and an unchanged one costs a `stat` instead of a parse and validation.
    The model is frozen, so sharing one instance between threads is safe.
    """
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    policy = load_policy(path)
    _loaded[path] = (stamp, policy)
    return policy
