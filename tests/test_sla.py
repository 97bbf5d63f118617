"""Deadlines from policy and calendar (R4.3, R4.4, R4.6, R7.3) and `cablecare sla due`."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cablecare import REPO_ROOT
from cablecare.calendar import BusinessCalendar
from cablecare.domain import Kind, Setting, Severity
from cablecare.policy import SlaPolicy, load_policy
from cablecare.sla import due_at, warning_at

POLICY = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
CAL = BusinessCalendar(POLICY.timezone)
SEP_30_10H = datetime.fromisoformat("2026-09-30T10:00:00+08:00")  # eve of National Day 2026


def due(
    kind: Kind,
    severity: Severity = Severity.ORDINARY,
    setting: Setting = Setting.URBAN,
    *,
    start: datetime = SEP_30_10H,
    extra_hours: int = 0,
    policy: SlaPolicy = POLICY,
) -> str:
    return due_at(
        policy,
        CAL,
        kind=kind,
        severity=severity,
        setting=setting,
        start=start,
        extra_hours=extra_hours,
    ).isoformat()


# --- due_at -----------------------------------------------------------------------------------


def test_r4_4_urban_installation_due_after_national_day() -> None:
    assert due(Kind.INSTALLATION) == "2026-10-14T00:00:00+08:00"


def test_r4_4_rural_installation_due_after_ten_working_days() -> None:
    # 8, 9, 10 (Sat, 调休), 12, 13, 14, 15, 16, 19, 20 Oct -> end of Tue 20 Oct.
    assert due(Kind.INSTALLATION, setting=Setting.RURAL) == "2026-10-21T00:00:00+08:00"


def test_r4_4_restoration_five_and_complaint_three_working_days() -> None:
    assert due(Kind.RESTORATION, setting=Setting.RURAL) == "2026-10-14T00:00:00+08:00"
    # 8, 9, 10 Oct (Saturday 10 Oct is a make-up working day)
    assert due(Kind.COMPLAINT) == "2026-10-11T00:00:00+08:00"
    # (四)6: a major complaint has the operator's shorter limit, 1 working day (8 Oct)
    assert due(Kind.COMPLAINT, Severity.MAJOR) == "2026-10-09T00:00:00+08:00"


def test_r4_3_fault_hours_ignore_the_holiday() -> None:
    assert due(Kind.FAULT) == "2026-10-01T10:00:00+08:00"
    assert due(Kind.FAULT, Severity.MAJOR) == "2026-10-03T10:00:00+08:00"


def test_r4_4_installation_limit_does_not_depend_on_severity() -> None:
    assert due(Kind.INSTALLATION, Severity.MAJOR) == due(Kind.INSTALLATION, Severity.ORDINARY)


def test_r4_3_due_is_in_operator_time_whatever_the_start_offset() -> None:
    assert due(Kind.FAULT, start=SEP_30_10H.astimezone(UTC)) == "2026-10-01T10:00:00+08:00"


def test_r4_6_approved_extension_adds_plain_hours() -> None:
    assert due(Kind.INSTALLATION, extra_hours=48) == "2026-10-16T00:00:00+08:00"
    assert due(Kind.FAULT, Severity.MAJOR, extra_hours=24) == "2026-10-04T10:00:00+08:00"


def test_r4_6_negative_extension_is_refused() -> None:
    with pytest.raises(ValueError, match="extra_hours"):
        due(Kind.FAULT, extra_hours=-1)


def test_r4_4_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone offset"):
        due(Kind.FAULT, start=datetime(2026, 9, 30, 10, 0))


def test_r4_4_calendar_and_policy_must_agree_on_local_time() -> None:
    other = POLICY.model_copy(update={"timezone": "Asia/Urumqi"})
    with pytest.raises(ValueError, match="Asia/Urumqi"):
        due(Kind.INSTALLATION, policy=other)


# --- warning_at (R7.3) ------------------------------------------------------------------------


def test_r7_3_warning_at_75_percent_of_an_hour_limit() -> None:
    due_time = datetime.fromisoformat(due(Kind.FAULT))
    warn = warning_at(SEP_30_10H, due_time, POLICY.warning_fraction)
    assert warn.isoformat() == "2026-10-01T04:00:00+08:00"  # 18 of 24 hours


def test_r7_3_warning_at_75_percent_of_a_working_day_limit() -> None:
    # 30 Sep 10:00 -> 14 Oct 00:00 is 326 h; 75% is 244.5 h = 10 d 4.5 h -> 10 Oct 14:30.
    due_time = datetime.fromisoformat(due(Kind.INSTALLATION))
    warn = warning_at(SEP_30_10H, due_time, 0.75)
    assert warn.isoformat() == "2026-10-10T14:30:00+08:00"


def test_r7_3_warning_at_refuses_bad_input() -> None:
    later = SEP_30_10H + timedelta(hours=24)
    for fraction in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            warning_at(SEP_30_10H, later, fraction)
    with pytest.raises(ValueError, match="before start"):
        warning_at(later, SEP_30_10H, 0.75)
    with pytest.raises(ValueError, match="no timezone offset"):
        warning_at(datetime(2026, 9, 30, 10, 0), later, 0.75)


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2004, 1, 2),
        max_value=datetime(2026, 11, 1),
        timezones=st.timezones(),
        allow_imaginary=False,
    ),
    kind=st.sampled_from(list(Kind)),
    severity=st.sampled_from(list(Severity)),
    setting=st.sampled_from(list(Setting)),
    fraction=st.floats(min_value=0.01, max_value=0.99),
)
def test_r7_3_property_warning_falls_between_start_and_due(
    start: datetime, kind: Kind, severity: Severity, setting: Setting, fraction: float
) -> None:
    due_time = due_at(POLICY, CAL, kind=kind, severity=severity, setting=setting, start=start)
    warn = warning_at(start, due_time, fraction)
    assert start < warn < due_time
    assert warn.tzinfo == due_time.tzinfo


# --- `cablecare sla due` ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sla_cli() -> ModuleType:
    # Imported here: cablecare/cli/__init__.py pulls in every command group, and a broken
    # sibling should fail these tests, not the collection of the due_at tests above.
    return importlib.import_module("cablecare.cli.sla")


def run(sla_cli: ModuleType, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(sla_cli.app, ["due", *args])
    return result.exit_code, result.stdout, result.stderr


def test_r4_4_cli_sla_due_urban_installation_national_day(sla_cli: ModuleType) -> None:
    code, out, err = run(sla_cli, "--kind", "installation", "--start", "2026-09-30T10:00:00+08:00")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["due_at"] == "2026-10-13T16:00:00Z"  # 24:00 on 13 Oct in Shanghai (13.6)
    assert answer["rule"] == "R4.4" and answer["policy_version"] == POLICY.version


def test_r4_4_cli_sla_due_rural_installation(sla_cli: ModuleType) -> None:
    code, out, err = run(
        sla_cli,
        "--kind",
        "installation",
        "--setting",
        "rural",
        "--start",
        "2026-09-30T10:00:00+08:00",
    )
    assert code == 0, err
    assert json.loads(out)["due_at"] == "2026-10-20T16:00:00Z"


def test_r4_3_cli_sla_due_major_fault(sla_cli: ModuleType) -> None:
    # The start may come in any offset; JSON answers in UTC Z (13.6), whatever the zone.
    code, out, err = run(
        sla_cli, "--kind", "fault", "--severity", "major", "--start", "2026-09-30T02:00:00Z"
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["due_at"] == "2026-10-03T02:00:00Z" and answer["start"] == "2026-09-30T02:00:00Z"
    assert answer["limit"] == {"hours": 72} and answer["rule"] == "R4.3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "repair", "--start", "2026-09-30T10:00:00+08:00"], "--kind"),
        (["--kind", "fault", "--start", "2026-09-30T10:00:00"], "no timezone offset"),
        (["--kind", "fault", "--start", "2026-13-30T10:00:00+08:00"], "not an ISO 8601"),
        (["--kind", "fault", "--start", "yesterday"], "not an ISO 8601"),
        (["--kind", "fault", "--severity", "huge", "--start", "2026-09-30T10:00Z"], "--severity"),
        (["--kind", "fault"], "--start"),
    ],
)
def test_r4_4_cli_sla_due_bad_input_fails_on_stderr(
    sla_cli: ModuleType, args: list[str], message: str
) -> None:
    code, out, err = run(sla_cli, *args)
    assert code != 0
    assert out == ""
    assert message in err


def test_r4_4_cli_sla_due_bad_policy_file_fails_on_stderr(
    sla_cli: ModuleType, tmp_path: Path
) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text("version = \n", encoding="utf-8")
    code, out, err = run(
        sla_cli, "--kind", "fault", "--start", "2026-09-30T10:00:00+08:00", "--policy", str(bad)
    )
    assert code == 1 and out == ""
    assert str(bad) in err
