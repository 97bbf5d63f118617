"""The area assessment as JSON, CSV, or one self-contained HTML page with SVG charts.

The page draws its charts as inline SVG (no script, no CDN): it renders offline, prints, and
can be mailed as one file. Bars per area for each indicator, the norm or target drawn as a
line; a line chart per indicator for the months of the year.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from activities.reports import AreaAssessment, AssessmentReport, ReportKind
from cablecare.csv_export import to_csv as csv_to_text
from cablecare.timefmt import human

CSV_FIELDS = [
    "area_id", "name", "company", "households", "complaints", "complaint_rate", "work_orders",
    "responded_24h", "response_rate", "callbacks_reached", "callbacks_satisfied", "satisfaction",
    "gained", "lost", "net_growth", "growth_target", "growth_attainment", "technicians",
    "households_per_technician", "norm", "over_norm", "branch_id", "breached", "breach_rate",
    "escalations", "escalations_per_1000", "staff_needing_certificate", "staff_certified",
    "certified_coverage", "targets_missed", "category",
]  # fmt: skip

BLUE, RED, GREEN, GREY, INK = "#2f6db5", "#c0392b", "#2e8b57", "#9aa5b1", "#1f2933"


def to_json(report: AssessmentReport) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2)


# Decimal places of each derived figure in the CSV: what the page shows, as a fraction
# (permille with 2 decimals = 5 places, percent with 1 decimal = 3 places, whole households).
CSV_DIGITS = {
    "complaint_rate": 5,
    "response_rate": 3,
    "satisfaction": 3,
    "growth_attainment": 3,
    "households_per_technician": 0,
}


def _rounded(row: dict[str, object]) -> dict[str, object]:
    out = dict(row)
    for name, digits in CSV_DIGITS.items():
        value = out.get(name)
        if isinstance(value, float):
            out[name] = round(value, digits) if digits else round(value)
    return out


def to_csv(report: AssessmentReport) -> str:
    """13.8: numbers rounded as the page shows them; names from the directory can never act
    as spreadsheet formulas (cablecare/csv_export.py)."""
    rows = (
        {"period": report.period, **_rounded(_joined(a.row()))}
        for a in [*report.areas, report.total]
    )
    return csv_to_text(["period", *CSV_FIELDS], rows)


def _joined(row: dict[str, Any]) -> dict[str, Any]:
    """Lists (the targets an area missed) as one cell."""
    return {k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()}


# --- formatting --------------------------------------------------------------------------------
def permille(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:.2f}‰"


def percent(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def number(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def signed(v: float | None) -> str:
    return "-" if v is None else f"{v:+,.0f}"


# --- SVG ---------------------------------------------------------------------------------------
def _text(x: float, y: float, content: str, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(content)}</text>'


def _svg_open(width: float, height: float, title: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        _text(0, 18, title, cls="title"),
    ]


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float | None, bool]],
    fmt: Callable[[float | None], str],
    reference: tuple[float, str] | None = None,
    marks: tuple[Sequence[float | None], str] | None = None,
) -> str:
    """Horizontal bars, one per area; `True` marks a bar red (over the norm, under target).

    `reference` draws one dashed line across all bars (an average, 100%); `marks` draws a tick
    on each bar at that area's own yardstick (its company's norm, its growth target).
    """
    label_w, bar_w, row_h, top = 190, 330, 26, 34
    values = [max(v, 0) for _, v, _ in items if v is not None]
    ticks = [m for m in marks[0] if m is not None] if marks else []
    scale_max = max([*values, *ticks, reference[0] if reference else 0, 1e-9])
    height = top + row_h * len(items) + 24
    parts = _svg_open(label_w + bar_w + 90, height, title)
    for i, (label, value, alarm) in enumerate(items):
        y = top + i * row_h
        width = 0 if value is None else max(bar_w * max(value, 0) / scale_max, 1)
        parts.append(_text(label_w - 8, y + 16, label, anchor="end"))
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row_h - 9}" '
            f'fill="{RED if alarm else BLUE}" rx="2"/>'
        )
        mark = marks[0][i] if marks else None
        if mark is not None:
            mx = label_w + bar_w * max(mark, 0) / scale_max
            parts.append(
                f'<line x1="{mx:.1f}" y1="{y + 1}" x2="{mx:.1f}" y2="{y + row_h - 2}" '
                f'stroke="{INK}" stroke-width="2"/>'
            )
            width = max(width, mx - label_w)
        parts.append(_text(label_w + width + 6, y + 16, fmt(value)))
    if reference is not None:
        x = label_w + bar_w * reference[0] / scale_max
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 18}" '
            f'stroke="{INK}" stroke-dasharray="4 3"/>'
        )
        parts.append(_text(x, height - 4, reference[1], anchor="middle", cls="ref"))
    if marks is not None:
        parts.append(_text(label_w, height - 4, f"| {marks[1]}", cls="ref"))
    parts.append("</svg>")
    return "\n".join(parts)


def axis_top(values: Sequence[float], *, ceiling: float | None, floor: float) -> float:
    """The top of a y axis that reads: a share runs 0-100% whatever its values (a month of 0%
    must not print 0.0% at top and bottom); another figure gets a round top (1, 2 or 5 x 10^k)
    above its largest value, and at least `floor`."""
    largest = max(values, default=0.0)
    if ceiling is not None and largest <= ceiling:
        return ceiling
    target = max(largest * 1.15, floor)
    step = 10.0 ** math.floor(math.log10(target))
    return next(m * step for m in (1, 2, 5, 10) if m * step >= target)


def line_chart(
    title: str,
    points: Sequence[tuple[str, float | None]],
    fmt: Callable[[float | None], str],
    highlight: str | None = None,
    ceiling: float | None = None,
    floor: float = 0.001,
) -> str:
    """Months along x; a gap where a month has no data. `highlight` marks the report's month;
    `ceiling` is the top of a share's axis (0-100%); `floor` the least top of any other axis."""
    left, width, top, height = 56, 480, 34, 150
    values = [v for _, v in points if v is not None]
    hi = axis_top(values, ceiling=ceiling, floor=floor)
    step = width / max(len(points) - 1, 1)
    base = top + height
    parts = _svg_open(left + width + 40, base + 40, title)
    parts += [
        f'<line x1="{left}" y1="{base}" x2="{left + width}" y2="{base}" stroke="{GREY}"/>',
        _text(left - 6, top + 4, fmt(hi), anchor="end", cls="ref"),
        _text(left - 6, base, fmt(0.0), anchor="end", cls="ref"),
    ]
    segment: list[str] = []
    for i, (label, v) in enumerate(points):
        x = left + i * step
        parts.append(_text(x, base + 18, label[-2:], anchor="middle", cls="ref"))
        if v is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        y = base - height * v / hi
        segment.append(f"{x:.1f},{y:.1f}")
        big = label == highlight
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{5 if big else 3}" '
            f'fill="{RED if big else BLUE}">'
            f"<title>{escape(label)}: {escape(fmt(v))}</title></circle>"
        )
        if big or i == len(points) - 1:
            parts.append(_text(x, y - 9, fmt(v), anchor="middle"))
    if len(segment) > 1:
        parts.append(_polyline(segment))
    parts.append("</svg>")
    return "\n".join(parts)


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{BLUE}" stroke-width="2"/>'


# --- the page ----------------------------------------------------------------------------------
STYLE = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",
sans-serif;color:#1f2933;margin:24px auto;max-width:1180px;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d9e2ec}
.sub{color:#52606d;margin:0 0 16px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#52606d;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:8px 24px}
svg.chart{width:100%;height:auto;font-size:12px} svg .title{font-size:14px;font-weight:bold}
svg .ref{fill:#52606d;font-size:11px} table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 6px;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
tr.over td{background:#fdecea} tr.total td{font-weight:bold;border-top:2px solid #9aa5b1}
.flag{color:#c0392b;font-weight:bold}.note{color:#52606d;font-size:12px}
td:first-child,th{white-space:nowrap}
table.scores td:last-child,table.scores th:last-child{text-align:left}
"""


def _label(a: AreaAssessment) -> str:
    return f"{a.name}({a.area_id})" if a.name else a.area_id


def _per1000(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


TARGET_ZH = {
    "complaint_rate": "投诉率",
    "response_rate": "24h响应率",
    "satisfaction": "满意率",
    "growth_attainment": "增长",
}


def _categories(report: AssessmentReport) -> str:
    counts: dict[str, int] = {}
    for a in report.areas:
        if a.category_zh:
            counts[a.category_zh] = counts.get(a.category_zh, 0) + 1
    return "、".join(f"{k} {v}" for k, v in counts.items()) or "未评分"


def _cards(report: AssessmentReport) -> str:
    t = report.total
    over = report.over_norm
    cards = [
        ("投诉率 complaint rate", permille(t.complaint_rate),
         f"{t.complaints} 件 / {t.households:,} 户"),
        ("24小时响应率 response", percent(t.response_rate),
         f"{t.responded_24h} / {t.work_orders} 工单"),
        ("满意率 satisfaction", percent(t.satisfaction),
         f"{t.callbacks_satisfied} / {t.callbacks_reached} 回访"),
        ("净增用户 net growth", f"{t.net_growth:+,}",
         f"目标 {t.growth_target:,.0f}（+{t.gained} / -{t.lost}）"),
        ("超定额服务区 over norm", str(len(over)), "、".join(over) or "无"),
        ("超时率 breach rate", percent(t.breach_rate),
         f"{t.breached} / {t.work_orders} 工单超时"),
        ("每千户升级 escalations / 1,000 hh", _per1000(t.escalations_per_1000),
         f"{t.escalations} 次违规升级"),
        ("持证覆盖率 certified", percent(t.certified_coverage),
         f"{t.staff_certified} / {t.staff_needing_certificate} 人"),
        ("未达标服务区 missed targets", str(sum(1 for a in report.areas if a.targets_missed)),
         _categories(report)),
    ]  # fmt: skip
    html = "".join(
        f"<div class='card'><span>{escape(title)}</span><b>{escape(value)}</b>"
        f"<span>{escape(detail)}</span></div>"
        for title, value, detail in cards
    )
    return f'<div class="cards">{html}</div>'


def _above(value: float | None, average: float | None) -> bool:
    return value is not None and average is not None and value > average


def _average(value: float | None) -> tuple[float, str] | None:
    return (value, "全部平均 average") if value is not None else None


def _bars(report: AssessmentReport) -> str:
    areas, t = report.areas, report.total
    norms = sorted({a.norm for a in areas})

    def items(value: Callable[[AreaAssessment], float | None], alarm: Callable[..., bool]) -> list:
        return [(_label(a), value(a), alarm(a)) for a in areas]

    def never(_: AreaAssessment) -> bool:
        return False

    average = (t.complaint_rate, "全部平均") if t.complaint_rate is not None else None
    norm_text = " / ".join(f"{n:,}" for n in norms)
    tg = report.targets

    def missed(name: str) -> Callable[[AreaAssessment], bool]:
        return lambda a: name in a.targets_missed

    def line(key: str, fmt: Callable[[float | None], str], fallback: tuple[float, str] | None):
        # (三)3 with a scored report the reference line is the target, and a missed one is red.
        return (tg[key], f"目标 target {fmt(tg[key])}") if key in tg else fallback

    complaint_ref = line("complaint_rate_max", permille, average)
    charts = [
        bar_chart("投诉率（‰，越低越好）Complaint rate",
                  items(lambda a: a.complaint_rate, missed("complaint_rate")), permille,
                  complaint_ref),
        bar_chart("24小时工单响应率 24-hour response rate",
                  items(lambda a: a.response_rate, missed("response_rate")), percent,
                  line("response_24h_min", percent, (1.0, "100%"))),
        bar_chart("客户满意率 Satisfaction (callbacks)",
                  items(lambda a: a.satisfaction, missed("satisfaction")), percent,
                  line("satisfaction_min", percent, (1.0, "100%"))),
        bar_chart("净增用户 vs 目标 Net growth (red: below target)",
                  items(lambda a: a.net_growth, lambda a: a.net_growth < a.growth_target),
                  signed, marks=([a.growth_target for a in areas], "当期目标 target")),
        bar_chart("流失用户 Subscribers lost", items(lambda a: a.lost, never), number),
        bar_chart(f"每名维护人员服务户数 Households per technician (norm {norm_text})",
                  items(lambda a: a.households_per_technician, lambda a: a.over_norm),
                  number, marks=([a.norm for a in areas], "定额 norm (R3.1)")),
        bar_chart("工单超时率 Breach rate (R4.7; red: above the average)",
                  items(lambda a: a.breach_rate, lambda a: _above(a.breach_rate, t.breach_rate)),
                  percent, _average(t.breach_rate)),
        bar_chart("每千户违规升级 Escalations per 1,000 households (red: above the average)",
                  items(lambda a: a.escalations_per_1000,
                        lambda a: _above(a.escalations_per_1000, t.escalations_per_1000)),
                  _per1000, _average(t.escalations_per_1000)),
        bar_chart("持证覆盖率 Certified coverage (R8.1; red: below 100%)",
                  items(lambda a: a.certified_coverage,
                        lambda a: (a.certified_coverage or 0) < 1), percent, (1.0, "100%")),
    ]  # fmt: skip
    return '<div class="grid">' + "".join(charts) + "</div>"


def _trend(report: AssessmentReport) -> str:
    if not report.trend:
        return ""
    hl = report.period if report.kind == ReportKind.MONTHLY else None
    trend = report.trend
    series = [
        (
            "投诉率趋势 Complaint rate",
            [(p.period, p.complaint_rate) for p in trend],
            permille,
            None,
        ),
        (
            "24小时响应率趋势 Response rate",
            [(p.period, p.response_rate) for p in trend],
            percent,
            1.0,
        ),
        ("满意率趋势 Satisfaction", [(p.period, p.satisfaction) for p in trend], percent, 1.0),
        ("超时率趋势 Breach rate", [(p.period, p.breach_rate) for p in trend], percent, 1.0),
        (
            "每千户升级趋势 Escalations / 1,000 hh",
            [(p.period, p.escalations_per_1000) for p in trend],
            _per1000,
            None,
        ),
    ]
    charts = "".join(line_chart(title, pts, fmt, hl, cap) for title, pts, fmt, cap in series)
    year = escape(report.period[:4])
    return f"<h2>{year} 年度趋势 The year so far</h2><div class='grid'>{charts}</div>"


TABLE_HEAD = "".join(
    f"<th>{h}</th>"
    for h in "服务区 名称 户数 投诉 投诉率 工单 24h响应 响应率 回访 满意 满意率 新增 流失 净增 "
    "目标 维护人员 户/人 定额 超时 超时率 升级".split()
)
SCORE_HEAD = "".join(
    f"<th>{h}</th>"
    for h in "服务区 名称 分公司 投诉率 24h响应率 满意率 增长达成 超时率 千户升级 持证 持证率 "
    "考核结果 未达标指标".split()
)


def _table(report: AssessmentReport) -> str:
    rows = []
    for a in [*report.areas, report.total]:
        cls = "total" if a is report.total else ("over" if a.over_norm else "")
        flag = " <span class='flag'>超定额</span>" if a.over_norm else ""
        cells = [
            escape(a.area_id), escape(a.name), f"{a.households:,}", str(a.complaints),
            permille(a.complaint_rate), str(a.work_orders), str(a.responded_24h),
            percent(a.response_rate), str(a.callbacks_reached), str(a.callbacks_satisfied),
            percent(a.satisfaction), str(a.gained), str(a.lost), f"{a.net_growth:+}",
            f"{a.growth_target:,.0f}", str(a.technicians),
            number(a.households_per_technician) + flag, f"{a.norm:,}" if a.norm else "-",
            str(a.breached), percent(a.breach_rate), str(a.escalations),
        ]  # fmt: skip
        rows.append(f"<tr class='{cls}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<h2>明细 Figures</h2><table><tr>{TABLE_HEAD}</tr>{''.join(rows)}</table>"


def _scores(report: AssessmentReport) -> str:
    """(三)3 the scores against the targets, with the category: what a supervisor decides on."""
    if not report.targets:
        return ""
    t = report.targets
    targets = (
        f"考核目标 Targets: 投诉率 ≤ {permille(t['complaint_rate_max'])} · "
        f"24小时响应率 ≥ {percent(t['response_24h_min'])} · "
        f"满意率 ≥ {percent(t['satisfaction_min'])} · "
        f"增长达成 ≥ {percent(t['growth_attainment_min'])}"
        f"（监督政策 {report.supervision_policy_version}）。考核结果按未达标指标数："
        + "，".join(f"≤{c['max_missed']} {c['name_zh']}" for c in report.categories)
    )
    rows = []
    for a in [*report.areas, report.total]:
        cls = "total" if a is report.total else ("over" if a.targets_missed else "")
        missed = set(a.targets_missed)

        def mark(name: str, text: str, missed: set[str] = missed) -> str:
            return f"<span class='flag'>{text}</span>" if name in missed else text

        cells = [
            escape(a.area_id), escape(a.name), escape(a.branch_id or "-"),
            mark("complaint_rate", permille(a.complaint_rate)),
            mark("response_rate", percent(a.response_rate)),
            mark("satisfaction", percent(a.satisfaction)),
            mark("growth_attainment", percent(a.growth_attainment)),
            percent(a.breach_rate), _per1000(a.escalations_per_1000),
            f"{a.staff_certified}/{a.staff_needing_certificate}",
            percent(a.certified_coverage), _category_cell(a),
            escape("、".join(TARGET_ZH.get(m, m) for m in a.targets_missed)) or "全部达标",
        ]  # fmt: skip
        rows.append(f"<tr class='{cls}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        f"<h2>考核评分 Scores against the targets (三)3</h2><p class='sub'>{escape(targets)}</p>"
        f"<table class='scores'><tr>{SCORE_HEAD}</tr>{''.join(rows)}</table>"
    )


def _category_cell(a: AreaAssessment) -> str:
    if not a.category_zh:
        return "-"
    cls = "flag" if a.category in ("warning", "penalty") else ""
    return f"<span class='{cls}'>{escape(a.category_zh)}</span>"


NOTE = (
    "投诉率 = 当期受理投诉 / 服务区户数；"
    "24小时响应率 = 当期开始计时的工单中24小时内首次响应的比例；"
    "满意率 = 回访满意数 / 回访接通数；增长目标按年度目标折算到当期；"
    "户数与维护人员为目录当前数据。超时率 = 当期开始计时的工单中超过时限的比例；"
    "每千户升级 = 当期违规升级（超时、投诉未及时应答、未按时回访、预约失约）/ 户数 × 1000；"
    "持证率 = 持有有效证书的柜台、维护、回访人员占比；考核结果按未达标指标个数由监督政策确定。"
)


def to_html(report: AssessmentReport) -> str:
    what = "月度考核" if report.kind == ReportKind.MONTHLY else "年度考核汇总"
    title = f"服务区{what} {report.period}"
    sub = (
        f"Area assessment {report.period} (R3.3, R3.4, R3.1) · 时区 {report.timezone} · "
        f"政策版本 {report.policy_version} · 生成于 {human(report.computed_at, report.timezone)}"
    )
    body = "".join(
        [
            f"<h1>{escape(title)}</h1><p class='sub'>{escape(sub)}</p>",
            _cards(report),
            "<h2>各服务区指标 Indicators by area</h2>",
            _bars(report),
            _scores(report),
            _trend(report),
            _table(report),
            f"<p class='note'>{escape(NOTE)}</p>",
        ]
    )
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


RENDERERS: dict[str, Callable[[AssessmentReport], str]] = {
    "json": to_json,
    "csv": to_csv,
    "html": to_html,
}
