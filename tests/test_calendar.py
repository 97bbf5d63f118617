"""R4.3 / R4.4: the business calendar and the end of "N working days".

The 2026 National Day schedule (State Council, as known to chinesecalendar 1.11):
1–7 Oct (Thu–Wed) off; Sunday 20 Sep and Saturday 10 Oct are make-up working days (调休).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from cablecare import REPO_ROOT
from cablecare.calendar import BusinessCalendar, CalendarError, load_calendar, load_overrides
from cablecare.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar()
SEP_30_10H = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # a Wednesday, eve of National Day


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the national calendar -------------------------------------------------------------------


def test_r4_4_chinesecalendar_knows_national_day_2026() -> None:
    """The package data the examples below rely on (a package without 2026 would fall back)."""
    for day in range(1, 8):
        assert chinese_calendar.is_workday(date(2026, 10, day)) is False
    assert chinese_calendar.is_workday(date(2026, 10, 8)) is True  # Thursday after the week
    assert chinese_calendar.is_workday(date(2026, 10, 10)) is True  # Saturday, 调休
    assert chinese_calendar.is_workday(date(2026, 9, 20)) is True  # Sunday, 调休


def test_r4_4_holidays_off_and_make_up_weekend_days_on() -> None:
    assert not CAL.is_working_day(date(2026, 10, 1))  # National Day, a Thursday
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday declared a working day
    assert not CAL.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert CAL.is_working_day(date(2026, 10, 12))  # ordinary Monday


def test_r4_4_is_working_day_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match="local time"):
        CAL.is_working_day(SEP_30_10H)  # type: ignore[arg-type]


# --- N working days (R4.4) -------------------------------------------------------------------


def test_r4_4_urban_installation_skips_national_day() -> None:
    # Working days after Wed 30 Sep: Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13 Oct.
    assert CAL.end_of_nth_working_day(SEP_30_10H, 5) == at("2026-10-14T00:00:00+08:00")


def test_r4_4_rural_installation_ten_working_days_skips_national_day() -> None:
    # By hand: 8, 9, 10 (Sat, 调休), 12, 13, 14, 15, 16, [17/18 weekend], 19, 20 Oct -> the
    # 10th working day is Tue 20 Oct, so the limit ends at 24:00 that day.
    # Cross-check: chinese_calendar.get_workdays(date(2026, 10, 1), date(2026, 10, 20))
    # has exactly these 10 days.
    expected = [date(2026, 10, d) for d in (8, 9, 10, 12, 13, 14, 15, 16, 19, 20)]
    assert chinese_calendar.get_workdays(date(2026, 10, 1), date(2026, 10, 20)) == expected
    assert CAL.end_of_nth_working_day(SEP_30_10H, 10) == at("2026-10-21T00:00:00+08:00")


def test_r4_4_wednesday_plus_five_ends_next_wednesday_at_midnight() -> None:
    # March 2026 has no holiday: Wed 4 Mar -> Thu, Fri, Mon, Tue, Wed 11 Mar, 24:00.
    assert CAL.end_of_nth_working_day(at("2026-03-04T15:00:00+08:00"), 5) == at(
        "2026-03-12T00:00:00+08:00"
    )


@pytest.mark.parametrize("clock", ["00:00:00", "08:59:00", "23:59:59"])
def test_r4_4_start_day_never_counts_whatever_the_hour(clock: str) -> None:
    start = at(f"2026-03-04T{clock}+08:00")
    assert CAL.end_of_nth_working_day(start, 1) == at("2026-03-06T00:00:00+08:00")


def test_r4_4_start_day_is_the_operators_local_day() -> None:
    # 16:30 UTC on Tue 3 Mar is 00:30 on Wed 4 Mar in Shanghai: the clock starts on Wednesday.
    start = at("2026-03-03T16:30:00+00:00")
    due = CAL.end_of_nth_working_day(start, 5)
    assert due == at("2026-03-12T00:00:00+08:00")
    assert due.tzinfo == SHANGHAI and due.isoformat() == "2026-03-12T00:00:00+08:00"


def test_r4_4_clock_started_on_a_holiday_counts_from_the_next_working_day() -> None:
    assert CAL.end_of_nth_working_day(at("2026-10-01T09:00:00+08:00"), 1) == at(
        "2026-10-09T00:00:00+08:00"
    )


def test_r4_4_refuses_zero_working_days_and_naive_start() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CAL.end_of_nth_working_day(SEP_30_10H, 0)
    with pytest.raises(ValueError, match="no timezone offset"):
        CAL.end_of_nth_working_day(datetime(2026, 9, 30, 10, 0), 5)


# --- plain hours (R4.3) ----------------------------------------------------------------------


def test_r4_3_major_fault_72_hours_runs_through_the_holiday() -> None:
    assert CAL.add_hours(SEP_30_10H, 72) == at("2026-10-03T10:00:00+08:00")


def test_r4_3_hours_are_elapsed_time_across_dst() -> None:
    # A calendar in a DST zone: 24 h from the evening before the spring-forward night is
    # 24 real hours (wall clock 21:00 the next day), not the same wall-clock time.
    berlin = BusinessCalendar("Europe/Berlin")
    start = at("2026-03-28T20:00:00+01:00")
    due = berlin.add_hours(start, 24)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert due.isoformat() == "2026-03-29T21:00:00+02:00"


def test_r4_3_add_hours_refuses_naive_start() -> None:
    with pytest.raises(ValueError, match="no timezone offset"):
        CAL.add_hours(datetime(2026, 9, 30, 10, 0), 24)


def test_r4_4_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        BusinessCalendar("Mars/Olympus")


# --- operator overrides (R4.4) ---------------------------------------------------------------


def test_r4_4_override_extra_holiday_wins_over_the_package() -> None:
    cal = BusinessCalendar(extra_holidays=[date(2026, 10, 9)])  # a local holiday on Fri 9 Oct
    assert not cal.is_working_day(date(2026, 10, 9))
    # 8, 10, 12, 13, 14 Oct
    assert cal.end_of_nth_working_day(SEP_30_10H, 5) == at("2026-10-15T00:00:00+08:00")


def test_r4_4_override_extra_working_day_wins_over_the_package() -> None:
    cal = BusinessCalendar(extra_working_days=[date(2026, 10, 3)])  # the desk works Sat 3 Oct
    assert cal.is_working_day(date(2026, 10, 3))
    # 3, 8, 9, 10, 12 Oct
    assert cal.end_of_nth_working_day(SEP_30_10H, 5) == at("2026-10-13T00:00:00+08:00")


def test_r4_4_override_date_in_both_lists_is_refused() -> None:
    with pytest.raises(ValueError, match="2026-10-09"):
        BusinessCalendar(extra_holidays=[date(2026, 10, 9)], extra_working_days=[date(2026, 10, 9)])


def test_r4_4_shipped_override_file_loads() -> None:
    load_overrides(REPO_ROOT / "policy" / "calendar-overrides.toml")
    cal = load_calendar(
        Settings(calendar_overrides_path=REPO_ROOT / "policy" / "calendar-overrides.toml")
    )
    assert cal.timezone == "Asia/Shanghai"


def test_r4_4_override_file_adds_a_holiday_and_a_working_day(tmp_path: Path) -> None:
    path = tmp_path / "calendar-overrides.toml"
    path.write_text(
        'extra_holidays = [2026-10-09]\nextra_working_days = ["2026-10-03"]\n', encoding="utf-8"
    )
    cal = load_calendar(Settings(calendar_overrides_path=path))
    assert not cal.is_working_day(date(2026, 10, 9))
    assert cal.is_working_day(date(2026, 10, 3))
    # 3, 8, 10, 12, 13 Oct
    assert cal.end_of_nth_working_day(SEP_30_10H, 5) == at("2026-10-14T00:00:00+08:00")


def test_r4_4_missing_override_file_means_no_overrides(tmp_path: Path) -> None:
    for path in (tmp_path / "absent.toml", None):
        cal = load_calendar(Settings(calendar_overrides_path=path))
        assert not cal.extra_holidays and not cal.extra_working_days
        assert cal.end_of_nth_working_day(SEP_30_10H, 5) == at("2026-10-14T00:00:00+08:00")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('extra_holidays = ["2026-13-01"]\n', "extra_holidays"),
        ("extra_holidays = [2026-10-01T00:00:00]\n", "extra_holidays"),
        ("extra_working_days = [20261010]\n", "extra_working_days"),
        ('extra_holiday = ["2026-10-01"]\n', "extra_holiday"),  # misspelt key
        ("extra_holidays = [2026-10-09]\nextra_working_days = [2026-10-09]\n", "extra_holidays"),
        ("extra_holidays = [\n", "not valid TOML"),
    ],
)
def test_r4_4_bad_override_file_names_file_and_field(tmp_path: Path, text: str, names: str) -> None:
    path = tmp_path / "calendar-overrides.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError) as caught:
        load_calendar(Settings(calendar_overrides_path=path))
    assert str(path) in str(caught.value)
    assert names in str(caught.value)


# --- beyond the package's data ---------------------------------------------------------------


def test_r4_4_unknown_year_falls_back_to_monday_friday_with_one_warning() -> None:
    cal = BusinessCalendar()
    with capture_logs() as logs:
        assert cal.is_working_day(date(2030, 1, 1))  # a Tuesday; New Year unknown to the package
        assert not cal.is_working_day(date(2030, 1, 5))  # Saturday
        # Wed 2 Jan 2030 + 5 -> Thu 3, Fri 4, Mon 7, Tue 8, Wed 9 Jan, 24:00.
        due = cal.end_of_nth_working_day(at("2030-01-02T10:00:00+08:00"), 5)
    assert due == at("2030-01-10T00:00:00+08:00")
    warnings = [e for e in logs if e["event"] == "calendar_year_unknown"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning" and warnings[0]["year"] == 2030


def test_r4_4_unknown_year_warns_once_per_year() -> None:
    cal = BusinessCalendar()
    with capture_logs() as logs:
        cal.end_of_nth_working_day(at("2030-12-20T10:00:00+08:00"), 20)  # runs into 2031
        cal.end_of_nth_working_day(at("2030-12-20T10:00:00+08:00"), 20)
        cal.is_working_day(date(2003, 6, 2))  # before the package's range, too
    years = [e["year"] for e in logs if e["event"] == "calendar_year_unknown"]
    assert years == [2030, 2031, 2003]


def test_r4_4_overrides_cover_an_unknown_year_without_warning() -> None:
    cal = BusinessCalendar(extra_holidays=[date(2030, 1, 1)])
    with capture_logs() as logs:
        assert not cal.is_working_day(date(2030, 1, 1))
    assert logs == []


# --- properties (hypothesis) -----------------------------------------------------------------

aware_starts = st.datetimes(
    min_value=datetime(2004, 1, 2),
    max_value=datetime(2030, 12, 1),
    timezones=st.timezones(),
    allow_imaginary=False,
)
working_day_counts = st.integers(min_value=1, max_value=30)


def working_days_in(cal: BusinessCalendar, after: date, through: date) -> int:
    """Working days d with after < d <= through."""
    days = (through - after).days
    return sum(cal.is_working_day(after + timedelta(days=i)) for i in range(1, days + 1))


@settings(max_examples=200, deadline=None)
@given(start=aware_starts, n=working_day_counts)
def test_r4_4_property_ends_at_midnight_after_the_nth_working_day(start: datetime, n: int) -> None:
    due = CAL.end_of_nth_working_day(start, n)
    start_day = start.astimezone(SHANGHAI).date()
    last_day = due.date() - timedelta(days=1)
    assert due.tzinfo == SHANGHAI
    assert (due.hour, due.minute, due.second, due.microsecond) == (0, 0, 0, 0)
    assert CAL.is_working_day(last_day)
    assert last_day > start_day
    assert working_days_in(CAL, start_day, last_day) == n
    assert due > start


@settings(max_examples=100, deadline=None)
@given(start=aware_starts, n=st.integers(min_value=1, max_value=29))
def test_r4_4_property_monotonic_in_n(start: datetime, n: int) -> None:
    assert CAL.end_of_nth_working_day(start, n) < CAL.end_of_nth_working_day(start, n + 1)


@settings(max_examples=100, deadline=None)
@given(
    start=aware_starts,
    later_by=st.timedeltas(timedelta(0), timedelta(days=40)),
    n=working_day_counts,
)
def test_r4_4_property_monotonic_in_start(start: datetime, later_by: timedelta, n: int) -> None:
    later = (start.astimezone(UTC) + later_by).astimezone(start.tzinfo)
    assert CAL.end_of_nth_working_day(start, n) <= CAL.end_of_nth_working_day(later, n)


@settings(max_examples=200, deadline=None)
@given(
    start=aware_starts,
    hours=st.integers(min_value=0, max_value=24 * 30),
    zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]),
)
def test_r4_3_property_add_hours_is_exact_elapsed_time(
    start: datetime, hours: int, zone: str
) -> None:
    cal = BusinessCalendar(zone)
    due = cal.add_hours(start, hours)
    assert due.tzinfo == ZoneInfo(zone)
    # Compare in UTC: subtracting two datetimes of one zone would give wall-clock time.
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)
