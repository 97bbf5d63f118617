"""The month (and a comparison) as one self-contained HTML page: inline SVG, no script.

Charts are the assessment report's (`activities/report_render.py`), so a simulated month reads
like the monthly assessment a manager already knows.
"""

from __future__ import annotations

from html import escape
from typing import Any

from activities.report_render import STYLE, bar_chart, number, percent, permille
from cablecare.simulate.report import ALL, MonthReport

EXTRA_STYLE = """
.sub{color:#52606d} .cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #e4e7eb;border-radius:6px;padding:8px 12px;min-width:150px}
.card span{display:block;color:#52606d;font-size:12px}.card b{font-size:22px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.better{color:#2e8b57;font-weight:bold}.worse{color:#c0392b;font-weight:bold}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _cards(cards: list[tuple[str, str, str]]) -> str:
    html = "".join(
        f"<div class='card'><span>{escape(t)}</span><b>{escape(v)}</b>"
        f"<span>{escape(d)}</span></div>"
        for t, v, d in cards
    )
    return f"<div class='cards'>{html}</div>"


def month_html(report: MonthReport) -> str:
    m = report.meta
    t = report.figure().row()
    a = report.assessment.total
    title = f"模拟月份 Simulated month {m['month']}"
    sub = (
        f"engine {m['engine']} · seed {m['seed']} · policy {m['policy_version']} · "
        f"workload {m['workload_version']} · {m['requests']:,} requests"
    )
    cards = _cards(
        [
            ("超时率 breach rate (R4.7)", percent(t["breach_rate"]),
             f"{t['breached']:,} / {t['requests']:,}"),
            ("升级 escalations", f"{t['escalations']:,}", f"warnings {t['esc_warning']:,}"),
            ("追责立案 accountability (R6.1)", f"{t['accountability_opened']:,}", "cases opened"),
            ("24小时响应 response (R3.3)", percent(t["response_rate_24h"]),
             f"{t['responded_24h']:,} / {t['work_orders']:,}"),
            ("按时回访 callbacks on time (R5.1)", percent(t["callbacks_on_time_rate"]),
             f"{t['callbacks_on_time']:,} / {t['callbacks_owed']:,}"),
            ("满意率 satisfaction (R3.3)", percent(a.satisfaction),
             f"{a.callbacks_satisfied:,} / {a.callbacks_reached:,}"),
        ]
    )  # fmt: skip
    areas = [r for r in report.figures if r.area_id != ALL and r.kind == ALL]
    staffing = {s["area_id"]: s for s in report.staffing}
    charts = [
        bar_chart(
            "超时率 Breach rate by area (R4.7)",
            [(f.area_id, f.row()["breach_rate"], False) for f in areas],
            percent,
        ),
        bar_chart(
            "24小时响应率 24-hour response (R3.3)",
            [(f.area_id, f.row()["response_rate_24h"], False) for f in areas],
            percent,
            (1.0, "100%"),
        ),
        bar_chart(
            "维护人员利用率 Technician utilisation (on-shift hours busy)",
            [(s["area_id"], s["utilisation"], (s["utilisation"] or 0) > 0.85)
             for s in report.staffing],
            percent,
            (1.0, "100%"),
        ),
        bar_chart(
            "每名维护人员户数 Households per technician (R3.1)",
            [
                (s["area_id"], s["households_per_technician"],
                 (s["households_per_technician"] or 0) > s["norm"])
                for s in report.staffing
            ],
            number,
            marks=([s["norm"] for s in report.staffing], "定额 norm"),
        ),
        bar_chart(
            "追责立案 Accountability cases opened (R6.1)",
            [(f.area_id, float(f.accountability), False) for f in areas],
            number,
        ),
        bar_chart(
            "投诉率 Complaint rate (R3.3)",
            [(x.area_id, x.complaint_rate, False) for x in report.assessment.areas],
            permille,
        ),
    ]  # fmt: skip
    head = (
        "<tr><th>area</th><th>kind</th><th>requests</th><th>breach rate</th><th>escalations</th>"
        "<th>accountability</th><th>24 h response</th><th>callbacks on time</th>"
        "<th>utilisation</th><th>households / technician</th></tr>"
    )
    rows = []
    for f in report.figures:
        r = f.row()
        s = staffing.get(f.area_id, {})
        cls = "total" if f.kind == ALL else ""
        cells = [
            f.area_id, f.kind, f"{f.requests:,}", percent(r["breach_rate"]),
            f"{r['escalations']:,}", f"{f.accountability:,}", percent(r["response_rate_24h"]),
            percent(r["callbacks_on_time_rate"]),
            percent(s.get("utilisation")) if f.kind == ALL else "",
            number(s.get("households_per_technician")) if f.kind == ALL else "",
        ]  # fmt: skip
        rows.append(
            f"<tr class='{cls}'>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"
        )
    assess_head = (
        "<tr><th>area</th><th>households</th><th>complaints</th><th>complaint rate</th>"
        "<th>work orders</th><th>24 h response rate</th><th>satisfaction</th></tr>"
    )
    assess = [
        "<tr class='{}'>".format("total" if x is report.assessment.total else "")
        + "".join(
            f"<td>{escape(c)}</td>"
            for c in (
                x.area_id,
                f"{x.households:,}",
                f"{x.complaints:,}",
                permille(x.complaint_rate),
                f"{x.work_orders:,}",
                percent(x.response_rate),
                percent(x.satisfaction),
            )
        )  # fmt: skip
        + "</tr>"
        for x in [*report.assessment.areas, report.assessment.total]
    ]
    body = "".join(
        [
            f"<h1>{escape(title)}</h1><p class='sub'>{escape(sub)}</p>",
            cards,
            "<div class='grid'>" + "".join(charts) + "</div>",
            f"<h2>按服务区与类型 By area and kind</h2><table>{head}{''.join(rows)}</table>",
            "<h2>月度考核 R3.3 monthly assessment (from the simulated month)</h2>",
            f"<table>{assess_head}{''.join(assess)}</table>",
            "<p class='note'>A simulation: the same case logic as the live service, driven by "
            "the workload model. Figures are for requests that arrived in the month; their "
            "clocks and callbacks run on until they end.</p>",
        ]
    )
    return _page(title, body)


def _signed(v: float | None, as_share: bool) -> str:
    """A difference: percentage points for shares, one decimal for counts (a mean of months)."""
    if v is None:
        return "-"
    shown = round(v * 100 if as_share else v, 1)
    return "0.0" if shown == 0 else f"{shown:+,.1f}"  # never "-0.0"


def _difference(d: dict[str, Any], higher_is_worse: bool, as_share: bool) -> str:
    """The paired difference with its 95% interval, green or red when the interval excludes 0."""
    if d["mean"] == 0 and d["low"] == 0 and d["high"] == 0:
        return "<span class='note'>no change in any month</span>"
    sign = ""
    if d["low"] is not None and (d["low"] > 0 or d["high"] < 0):
        worse = (d["mean"] > 0) == higher_is_worse
        sign = "worse" if worse else "better"
    unit = " pp" if as_share else ""
    text = "-" if d["mean"] is None else _signed(d["mean"], as_share) + unit
    ci = (
        ""
        if d["low"] is None
        else f" <span class='note'>[{escape(_signed(d['low'], as_share))}, "
        f"{escape(_signed(d['high'], as_share))}]</span>"
    )
    return f"<span class='{sign}'>{escape(text)}</span>{ci}"


def _with_ci(s: dict[str, Any], fmt: Any) -> str:
    if s["low"] is None:
        return escape(fmt(s["mean"]))
    ci = f" <span class='note'>[{escape(fmt(s['low']))}, {escape(fmt(s['high']))}]</span>"
    return f"{escape(fmt(s['mean']))}{ci}"


_SETTING_ZH = {"urban": "城市 urban", "rural": "农村 rural"}


def compare_html(comparison: dict[str, Any]) -> str:
    """Policies or workloads side by side: means over seeds with 95% confidence intervals."""
    labels: list[str] = comparison["labels"]
    settings: dict[str, str] = comparison.get("settings", {})
    title = "What-if: " + " vs ".join(labels)
    versions = " · ".join(
        f"{lbl}: policy {v['policy']}, workload {v['workload']}"
        for lbl, v in zip(labels, comparison["versions"], strict=True)
    )
    requests = comparison["requests"][0]
    seeds = ", ".join(map(str, comparison["seeds"]))
    sub = (
        f"month {comparison['month']} · {len(comparison['seeds'])} simulated months (seeds "
        f"{seeds}), about {round(sum(requests) / len(requests)):,} "
        "requests each · mean [95% confidence interval] over the months; the difference is "
        "paired: the same customers on the same seed under each variant"
    )

    def area(area_id: str) -> str:
        if area_id == ALL:
            return "全部 all areas"
        setting = settings.get(area_id)
        return f"{area_id} · {_SETTING_ZH.get(setting, setting)}" if setting else area_id

    change = f"{escape(labels[-1])} − {escape(labels[0])}"
    head = (
        "<tr><th>figure</th><th>area</th>"
        + "".join(f"<th>{escape(lbl)}</th>" for lbl in labels)
        + f"<th>difference {change}</th></tr>"
    )
    rows = []
    for m in comparison["metrics"]:
        as_share = m["unit"] in ("share", "load")
        fmt = percent if as_share else number
        cells = [escape(m["name"]), escape(area(m["area_id"]))]
        cells += [_with_ci(s, fmt) for s in m["values"]]
        cells.append(_difference(m["difference"], m["higher_is_worse"], as_share))
        cls = "total" if m["area_id"] == ALL else ""
        rows.append(f"<tr class='{cls}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    kind_rows = []
    for k in comparison.get("breach_by_kind", []):
        cells = [escape(area(k["area_id"])), escape(k["kind"])]
        cells += [_with_ci(s, percent) for s in k["values"]]
        cells.append(_difference(k["difference"], True, True))
        cls = "total" if k["area_id"] == ALL else ""
        kind_rows.append(f"<tr class='{cls}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    kind_head = (
        "<tr><th>area</th><th>kind</th>"
        + "".join(f"<th>{escape(lbl)}</th>" for lbl in labels)
        + f"<th>difference {change}</th></tr>"
    )
    first = dict(comparison["breach_by_area"][0])
    charts = []
    for i, (lbl, per_area) in enumerate(zip(labels, comparison["breach_by_area"], strict=True)):
        charts.append(
            bar_chart(
                f"超时率 Breach rate by area — {lbl}",
                [(area(a), v, False) for a, v in per_area],
                percent,
                # The first variant's rate as a tick on the others: the change at a glance.
                marks=([first.get(a) for a, _ in per_area], f"{labels[0]}'s rate") if i else None,
            )
        )
    kinds_table = (
        "<h2>超时率按类型 Breach rate by area and kind (R4.7)</h2>"
        f"<table>{kind_head}{''.join(kind_rows)}</table>"
        if kind_rows
        else ""
    )
    body = "".join(
        [
            f"<h1>{escape(title)}</h1><p class='sub'>{escape(sub)}</p>",
            f"<p class='note'>{escape(versions)}</p>",
            "<div class='grid'>" + "".join(charts) + "</div>",
            f"<h2>并列比较 Side by side</h2><table>{head}{''.join(rows)}</table>",
            kinds_table,
            "<p class='note'>Green: the change is better with 95% confidence; red: worse; "
            "black: the interval includes no change. pp: percentage points. Rates' intervals "
            "are clipped to 0-100%. Technician utilisation is busy hours over on-shift hours "
            "and passes 100% when technicians work past their shift. Each month is the same "
            "customers under each variant.</p>",
        ]
    )
    return _page(title, body)
