"""Trend charts of the assessment page read (issue 13 item 4): no axis from 0.0% to 0.0%."""

from __future__ import annotations

import re

from activities.report_render import axis_top, line_chart, percent, permille


def _axis_labels(svg: str) -> list[str]:
    return re.findall(
        r'<text x="50\.0" y="[\d.]+" text-anchor="end" class="ref">([^<]+)</text>', svg
    )


def test_r3_3_a_share_axis_runs_0_to_100_percent_even_in_an_empty_month() -> None:
    svg = line_chart(
        "满意率 satisfaction", [("2026-10", None), ("2026-11", 0.0)], percent, ceiling=1.0
    )
    assert _axis_labels(svg) == ["100.0%", "0.0%"]
    assert axis_top([0.97], ceiling=1.0, floor=0.001) == 1.0


def test_r3_3_a_rate_axis_has_a_round_top_above_its_values_and_a_floor() -> None:
    svg = line_chart("投诉率 complaints", [("2026-10", 0.0), ("2026-11", 0.0)], permille)
    top, bottom = _axis_labels(svg)
    assert top != bottom and top == "1.00‰"
    assert axis_top([0.0042], ceiling=None, floor=0.001) == 0.005  # 4.2‰ * 1.15 -> 5‰
    assert axis_top([0.03], ceiling=None, floor=0.001) == 0.05
    assert axis_top([], ceiling=None, floor=0.001) == 0.001
