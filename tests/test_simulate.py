"""Issue 14: the simulation's workload model, determinism, outputs and what-if comparison.

These run the fast engine only (no server); tests/test_simulate_engines.py checks it against
real workflows.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cablecare.cli import app
from cablecare.simulate.compare import compare
from cablecare.simulate.generate import generate, load_directory, month_window
from cablecare.simulate.intake import Intake
from cablecare.simulate.run import DEFAULT_POLICY, Scenario, simulate_fast
from cablecare.simulate.workload import (
    Workload,
    WorkloadError,
    load_workload,
    to_toml,
)

LIGHT = 0.25  # requests per 1,000 households a day: ~450 a month, quick to simulate


def light_workload(tmp_path: Path) -> Path:
    w = load_workload()
    data = w.model_dump(mode="json")
    data["arrivals"]["per_1000_households_per_day"] = LIGHT
    path = tmp_path / "light.toml"
    path.write_text(to_toml(Workload.model_validate(data)), encoding="utf-8")
    return path


def policy_with_fault_hours(tmp_path: Path, hours: int, *, urban_only: bool = False) -> Path:
    """The live policy with a different R4.3 ordinary-fault limit (all areas or urban ones)."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    version = f"{raw['version']}-fault{hours}h"
    text = text.replace(f'version = "{raw["version"]}"', f'version = "{version}"', 1)
    extra = (
        '\n[[time_limits]]\nkind = "fault"\nseverity = "ordinary"\n'
        + ('setting = "urban"\n' if urban_only else "")
        + f'hours = {hours}\nrule = "R4.3"\n'
    )
    if not urban_only:
        old = 'kind = "fault"\nseverity = "ordinary"\nhours = 24'
        assert old in text
        text = text.replace(old, f'kind = "fault"\nseverity = "ordinary"\nhours = {hours}')
        extra = ""
    path = tmp_path / f"policy-fault-{hours}h.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_issue14_default_workload_loads_and_round_trips_through_toml() -> None:
    w = load_workload()
    assert w.version and sum(w.arrivals.hour_of_day) > 0
    assert Workload.model_validate(tomllib.loads(to_toml(w))) == w


def test_issue14_a_bad_workload_is_refused_with_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(load_workload()).replace("reach = 0.85", "reach = 1.5"), "utf-8")
    with pytest.raises(WorkloadError, match="callbacks.reach"):
        load_workload(path)


def test_issue14_same_seed_same_month_and_holidays_follow_the_national_calendar() -> None:
    """The same seed gives the same arrivals; October's national holiday (国庆) has its own
    weight from the business calendar, not the weekday's."""
    w, d = load_workload(), load_directory()
    intake = Intake(d, DEFAULT_POLICY)
    try:
        window = month_window("2026-10", w.timezone)
        one = generate(w, d, intake.calendar, window, 11)
        assert one == generate(w, d, intake.calendar, window, 11)
        assert one != generate(w, d, intake.calendar, window, 12)
        busy = w.model_copy(
            update={"arrivals": w.arrivals.model_copy(update={"holiday_factor": 6.0})}
        )
        more = generate(busy, d, intake.calendar, window, 11)
        holiday = [a for a in more if a.at.day in (1, 2, 5, 6, 7)]  # 2026-10-01..07 off
        working = [a for a in more if a.at.day in (12, 13, 14, 15, 16)]  # Mon-Fri
        assert len(holiday) > 2.5 * len(working)
    finally:
        intake.close()


def test_issue14_same_seed_gives_byte_identical_output(tmp_path: Path) -> None:
    workload = light_workload(tmp_path)
    runner = CliRunner()
    outs = []
    for run, seed in (("a", 4), ("b", 4), ("c", 5)):
        out = tmp_path / run
        result = runner.invoke(
            app,
            ["simulate", "--month", "2026-11", "--seed", str(seed), "--workload", str(workload),
             "--out", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outs.append(sorted(out.iterdir()))
    for a, b in zip(outs[0], outs[1], strict=True):
        assert a.name == b.name and a.read_bytes() == b.read_bytes(), a.name
    assert outs[0][0].read_bytes() != outs[2][0].read_bytes()  # another seed, another month
    report = json.loads(next(p for p in outs[0] if p.suffix == ".json").read_text("utf-8"))
    total = next(f for f in report["figures"] if f["area_id"] == f["kind"] == "ALL")
    assert total["requests"] == report["simulation"]["requests"] > 100
    for key in ("breach_rate", "escalations", "accountability_opened", "response_rate_24h",
                "callbacks_on_time_rate"):  # fmt: skip
        assert key in total
    assert {s["area_id"] for s in report["staffing"]} == set(load_directory().areas)
    assert all("utilisation" in s and "households_per_technician" in s for s in report["staffing"])
    assert report["assessment_r3_3"]["total"]["work_orders"] > 0  # R3.3 from the month
    html = next(p for p in outs[0] if p.suffix == ".html").read_text("utf-8")
    assert html.count("<svg") >= 6 and "R3.3" in html


def test_issue14_r4_3_shorter_fault_limit_gives_more_breaches_in_compare(tmp_path: Path) -> None:
    workload = light_workload(tmp_path)
    base = Scenario.load(workload)
    shorter = Scenario.load(workload, policy_with_fault_hours(tmp_path, 12))
    result = compare([("24h", base), ("12h", shorter)], "2026-11", [1, 2, 3])
    breaches = next(
        m for m in result["metrics"] if m["name"] == "breaches" and m["area_id"] == "ALL"
    )
    diff = breaches["difference"]
    assert diff["mean"] > 0 and diff["low"] > 0, breaches
    assert breaches["values"][1]["mean"] > breaches["values"][0]["mean"]
    # The same customers in both: the requests per seed are the same.
    assert result["requests"][0] == result["requests"][1]
    # Per kind: the faults carry the change, consultations (their own 24 h) do not.
    by_kind = {(k["area_id"], k["kind"]): k for k in result["breach_by_kind"]}
    assert by_kind[("ALL", "fault")]["difference"]["low"] > 0
    assert by_kind[("ALL", "consultation")]["difference"]["mean"] == 0


def test_issue14_r3_1_more_technicians_cut_breaches_in_an_overloaded_area() -> None:
    """R3.1: A-HF-03 has one technician for 14,500 households (norm 4,500)."""
    base = Scenario.load()  # the default workload: A-HF-03's one technician cannot keep up
    more = Scenario(base.workload.with_technicians("A-HF-03", 3), base.policy_path, base.directory)
    one, _, _ = simulate_fast(base, "2026-11", 2)
    three, _, _ = simulate_fast(more, "2026-11", 2)
    assert three.figure("A-HF-03").breaches < one.figure("A-HF-03").breaches
    assert three.figure("A-HF-04").requests == one.figure("A-HF-04").requests


def test_issue14_compare_cli_writes_a_side_by_side_page(tmp_path: Path) -> None:
    workload = light_workload(tmp_path)
    result = CliRunner().invoke(
        app,
        ["simulate", "compare", "--add-technician", "A-HF-03", "--workload", str(workload),
         "--seeds", "2", "--out", str(tmp_path / "cmp")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = next((tmp_path / "cmp").glob("*.html")).read_text("utf-8")
    assert "95%" in html and html.count("<svg") == 2


def test_issue14_areas_in_parallel_processes_give_the_same_month(tmp_path: Path) -> None:
    """Areas share no technician: groups of areas in forked processes change nothing."""
    from cablecare.simulate.report import to_json

    scenario = Scenario.load(light_workload(tmp_path))
    one, _, _ = simulate_fast(scenario, "2026-11", 8)
    two, _, _ = simulate_fast(scenario, "2026-11", 8, workers=2)
    assert to_json(one) == to_json(two)


def test_issue14_cached_time_texts_tell_apart_the_two_instants_of_a_repeated_hour() -> None:
    """13.6 with the cache of case._fmt: 01:30 twice on the night DST ends are two instants
    (equal as datetimes of one zone) and keep their own offsets."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cablecare.timefmt import human
    from workflows.service_request.case import _fmt

    zone = "America/New_York"
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo(zone))
    second = first.replace(fold=1)
    assert first == second  # same zone: compared by wall time
    assert _fmt(first, zone) == human(first, zone) == "2026-11-01 01:30 -04:00"
    assert _fmt(second, zone) == human(second, zone) == "2026-11-01 01:30 -05:00"
