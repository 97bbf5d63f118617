"""The operator's business calendar: which days are working days, and when a time limit ends.

R4.4: working days follow China's national calendar (official holidays off, the weekend days
declared working days, 调休, on), read from the `chinesecalendar` package. The operator's
override file (`policy/calendar-overrides.toml`) wins over the package: it carries next year's
State Council schedule before the package knows it, and local holidays. For a year the package
does not know and the overrides do not cover, the calendar falls back to Monday–Friday and logs
a warning once per year: a deadline a day off is better than a case that cannot start.

R4.3 / R4.4: hour limits are plain elapsed hours, 24/7; "N working days" ends at 24:00 local
time of the Nth working day after the day the clock starts.

No I/O except `load_calendar`, which reads the override file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

if TYPE_CHECKING:
    from cablecare.settings import Settings

DEFAULT_TIMEZONE = "Asia/Shanghai"


class CalendarError(ValueError):
    """A calendar that cannot be used; the message names the file and the wrong field."""


def require_aware(value: datetime, what: str = "timestamp") -> datetime:
    """Refuse naive datetimes: a deadline needs to know whose 24:00 it is (R4.4)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} {value.isoformat()} has no timezone offset; "
            "give one, e.g. 2026-09-30T10:00:00+08:00"
        )
    return value


def _as_date(value: object) -> object:
    # TOML has native dates (2027-01-01) and people also write strings ("2027-01-01"); accept
    # both, but refuse datetimes and numbers, which pydantic would otherwise coerce silently.
    if isinstance(value, datetime):
        raise ValueError("expected a date like 2027-01-01, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected a date like 2027-01-01, got {value!r}") from None
    raise ValueError(f"expected a date like 2027-01-01, got {value!r}")


CalendarDate = Annotated[date, BeforeValidator(_as_date)]


class CalendarOverrides(BaseModel):
    """The operator's override file (R4.4): dates that win over the national calendar."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    extra_holidays: list[CalendarDate] = []
    extra_working_days: list[CalendarDate] = []

    @model_validator(mode="after")
    def _no_date_in_both(self) -> CalendarOverrides:
        both = sorted(set(self.extra_holidays) & set(self.extra_working_days))
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(
                f"extra_holidays and extra_working_days both list {listed}; keep one of them"
            )
        return self


class BusinessCalendar:
    """Working days and deadlines in the operator's local time (R4.3, R4.4).

    `timezone` is an IANA name (default Asia/Shanghai). `extra_holidays` and
    `extra_working_days` override the national calendar for single dates.
    """

    def __init__(
        self,
        timezone: str = DEFAULT_TIMEZONE,
        *,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {timezone!r} (an IANA name, e.g. Asia/Shanghai)"
            ) from exc
        self.timezone = timezone
        # Validate through the same model as the file, so both ways in refuse the same input.
        try:
            overrides = CalendarOverrides(
                extra_holidays=list(extra_holidays), extra_working_days=list(extra_working_days)
            )
        except ValidationError as exc:
            raise ValueError(f"calendar overrides refused: {_problems(exc)}") from None
        self.extra_holidays = frozenset(overrides.extra_holidays)
        self.extra_working_days = frozenset(overrides.extra_working_days)
        self._warned_years: set[int] = set()

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar({self.timezone!r}, extra_holidays={len(self.extra_holidays)}, "
            f"extra_working_days={len(self.extra_working_days)})"
        )

    def is_working_day(self, d: date) -> bool:
        """R4.4: the national calendar (holidays and 调休 included), overridden by the operator."""
        if isinstance(d, datetime):
            # A datetime's date depends on its zone; make the caller say which local day it means.
            raise TypeError("is_working_day takes a date; convert the datetime to local time first")
        if d in self.extra_holidays:
            return False
        if d in self.extra_working_days:
            return True
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            self._warn_unknown_year(d.year)
            return d.weekday() < 5

    def _warn_unknown_year(self, year: int) -> None:
        # Once per year and calendar: a 30-day deadline must not log thirty warnings.
        if year in self._warned_years:
            return
        self._warned_years.add(year)
        # Looked up per call (rarely: once a year) so that a logging configuration made after
        # import, or structlog.testing.capture_logs, applies.
        import structlog  # here, not at the top: `cablecare sla due` starts faster (13.11)

        structlog.get_logger().warning(
            "calendar_year_unknown",
            year=year,
            fallback="monday-friday",
            chinesecalendar_version=chinese_calendar.__version__,
            hint="list the year's holidays in policy/calendar-overrides.toml, "
            "or upgrade chinesecalendar",
        )

    def local(self, moment: datetime) -> datetime:
        """The same instant in the operator's timezone."""
        return require_aware(moment).astimezone(self.tz)

    def end_of_nth_working_day(self, start: datetime, n: int) -> datetime:
        """R4.4: 24:00 local time of the Nth working day after the day the clock starts.

        The start day never counts, even when it is a working day: a clock started on a
        Wednesday with 5 working days and no holiday ends next Wednesday at 24:00. The result
        is 00:00 of the following day, in the operator's timezone.
        """
        require_aware(start, "start")
        if n < 1:
            raise ValueError(f"n must be at least 1 working day, got {n}")
        day = self.local(start).date()
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        # A round trip through UTC normalises a midnight that a DST jump skips (not in
        # Asia/Shanghai, but the timezone is configurable).
        return midnight.astimezone(UTC).astimezone(self.tz)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """R4.3 / R9.2 / R5.1: plain elapsed hours, day and night; the service runs 24/7.

        Computed in UTC, because aware-datetime arithmetic in one zone is wall-clock time and
        would be an hour off across a DST change.
        """
        require_aware(start, "start")
        return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(self.tz)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
        for err in exc.errors()
    )


def load_overrides(path: Path) -> CalendarOverrides:
    """Read the override file; a missing file means no overrides (R4.4)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return CalendarOverrides()
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"calendar override file {path} is not valid TOML: {exc}") from exc
    try:
        return CalendarOverrides.model_validate(raw)
    except ValidationError as exc:
        raise CalendarError(f"calendar override file {path} refused: {_problems(exc)}") from exc


def load_calendar(
    settings: Settings | None = None, *, timezone: str = DEFAULT_TIMEZONE
) -> BusinessCalendar:
    """The operator's calendar: national calendar plus `Settings.calendar_overrides_path`.

    Pass the policy's `timezone` so that the calendar and the policy agree on local time.
    """
    if settings is None:
        from cablecare.settings import get_settings

        settings = get_settings()
    path = settings.calendar_overrides_path
    overrides = load_overrides(path) if path is not None else CalendarOverrides()
    return BusinessCalendar(
        timezone,
        extra_holidays=overrides.extra_holidays,
        extra_working_days=overrides.extra_working_days,
    )
