"""The supervision report ((七)2d) as JSON, CSV (one line per branch) or one self-contained HTML
page with inline SVG charts, followed by the month's scored area assessment."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from html import escape

from activities import report_render as area_render
from activities.report_render import STYLE, bar_chart, number, percent
from activities.supervision.supervision_report import BranchSupervision, SupervisionReport

CSV_FIELDS = [
    "period", "branch_id", "name", "planned", "done", "done_rate", "findings",
    "corrected_on_time", "corrected_late", "escalated", "open", "on_time_rate",
    "publication_changes", "findings_by_system",
]  # fmt: skip

SYSTEM_ZH = {
    "disclosure": "公示", "first_contact": "首问负责", "contracting": "承包",
    "time_limits": "限时办结", "callbacks": "回访", "accountability": "责任追究",
    "maintenance": "维护",
}  # fmt: skip


def to_json(r: SupervisionReport) -> str:
    return json.dumps(r.as_json(), ensure_ascii=False, indent=2)


def to_csv(r: SupervisionReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for b in [*r.branches, r.province]:
        row = b.row()
        row["findings_by_system"] = ";".join(
            f"{k}={v}" for k, v in sorted(b.findings_by_system.items())
        )
        writer.writerow({"period": r.period, **row})
    return out.getvalue()


def _label(b: BranchSupervision) -> str:
    return f"{b.name}({b.branch_id})"


def _charts(r: SupervisionReport) -> str:
    rows = r.branches
    systems = sorted(r.province.findings_by_system)
    charts = [
        bar_chart("检查完成 Inspections done (tick: planned; red: behind plan)",
                  [(f"{_label(b)} {b.done}/{b.planned}", b.done, b.done < b.planned)
                   for b in rows], number, marks=([b.planned for b in rows], "计划 planned")),
        bar_chart("整改按期率 Corrections on time (red: some escalated)",
                  [(f"{_label(b)} 升级{b.escalated}", b.on_time_rate, b.escalated > 0)
                   for b in rows], percent, (1.0, "100%")),
        bar_chart("问题按制度 Findings by system",
                  [(f"{SYSTEM_ZH.get(s, s)}({s})", r.province.findings_by_system[s], False)
                   for s in systems] or [("无 none", 0, False)], number),
    ]  # fmt: skip
    return '<div class="grid">' + "".join(charts) + "</div>"


def _table(r: SupervisionReport) -> str:
    heads = "分公司 名称 计划 完成 完成率 问题 按期整改 逾期整改 升级 未结 按期率 公示变更"
    head = "".join(f"<th>{h}</th>" for h in heads.split())
    rows = []
    for b in [*r.branches, r.province]:
        cls = "total" if b is r.province else ("over" if b.escalated or b.done < b.planned else "")
        cells = [
            escape(b.branch_id), escape(b.name), str(b.planned), str(b.done), percent(b.done_rate),
            str(b.findings), str(b.corrected_on_time), str(b.corrected_late), str(b.escalated),
            str(b.open), percent(b.on_time_rate), str(b.publication_changes),
        ]  # fmt: skip
        rows.append(f"<tr class='{cls}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def to_html(r: SupervisionReport) -> str:
    scope = "全省 all branches" if r.scope is None else "、".join(r.scope)
    title = f"客服监督检查月报 {r.period}"
    sub = (
        f"Supervision report {r.period} ((七)2d, (四)2, (五)5) · 范围 {scope} · "
        f"生成于 {r.computed_at:%Y-%m-%d %H:%M} UTC"
    )
    area = area_render.to_html(r.assessment)
    area_body = area.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    body = "".join(
        [
            f"<h1>{escape(title)}</h1><p class='sub'>{escape(sub)}</p>",
            "<h2>监督检查 Inspections by branch</h2>",
            _charts(r),
            _table(r),
            "<hr>",
            area_body.replace("<h1>", "<h2 class='big'>").replace("</h1>", "</h2>", 1),
        ]
    )
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


RENDERERS: dict[str, Callable[[SupervisionReport], str]] = {
    "json": to_json,
    "csv": to_csv,
    "html": to_html,
}
