"""The public disclosure (R1.1, R3.2, R9.8): commitments, phones, fees, materials, areas.

Built from the same SLA policy that drives the timers and from the directory, so what a
branch posts on its wall is what the system enforces (one source of truth). A change of an
area's responsible person in the directory shows up in the next disclosure (R3.5).
Rendered as Markdown or HTML (printable, self-contained) and as JSON; Chinese by default.
"""

from __future__ import annotations

import html
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session, col, select

from activities.directory_queries import get_area, get_staff
from activities.directory_tables import Area
from activities.supervision.tables import CompanyUnit, Outlet
from cablecare.domain import Company, Kind, Setting, Severity
from cablecare.policy import SlaPolicy, TimeLimit

Lang = Literal["zh", "en"]
FORMATS = ("md", "html", "json")

KIND = {
    "zh": {
        Kind.FAULT: "故障维修",
        Kind.INSTALLATION: "安装开通",
        Kind.RESTORATION: "恢复开通（复通）",
        Kind.COMPLAINT: "投诉答复",
        Kind.CONSULTATION: "咨询答复",
    },
    "en": {
        Kind.FAULT: "fault repair",
        Kind.INSTALLATION: "installation and activation",
        Kind.RESTORATION: "service restoration",
        Kind.COMPLAINT: "answer to a complaint",
        Kind.CONSULTATION: "answer to a consultation",
    },
}
SEVERITY = {
    "zh": {Severity.ORDINARY: "一般", Severity.MAJOR: "重大"},
    "en": {Severity.ORDINARY: "ordinary", Severity.MAJOR: "major"},
}
SETTING = {
    "zh": {Setting.URBAN: "城镇", Setting.RURAL: "农村"},
    "en": {Setting.URBAN: "urban", Setting.RURAL: "rural"},
}
COMPANY = {
    "zh": {Company.CITY: "市公司", Company.COUNTY: "县分公司"},
    "en": {Company.CITY: "city company", Company.COUNTY: "county branch"},
}
TEXT = {
    "zh": {
        "title": "服务项目公示",
        "version": "依据服务时限政策版本",
        "hotline": "24小时服务热线",
        "supervision": "监督电话",
        "commitments": "服务承诺",
        "clock_note": "办理时限自材料齐全之日起计算；材料不全的，一次性告知全部所缺材料。",
        "fees": "收费项目及标准",
        "item": "项目",
        "standard": "标准",
        "hardship": "困难户优惠标准",
        "materials": "业务办理程序及所需材料",
        "procedure": "办理程序",
        "required": "所需材料",
        "no_materials": "无需提供材料",
        "areas": "服务区、服务电话及责任人",
        "area": "服务区",
        "company": "单位",
        "service_phone": "服务电话",
        "responsible": "责任维护人员",
        "staff_id": "工号",
        "phone": "电话",
        "photo": "照片",
        "unpublished": "待公布",
        "rule": "依据",
        "outlets": "营业网点地点及联系电话",
        "outlet": "营业网点",
        "address": "地点",
        "hours": "营业时间",
    },
    "en": {
        "title": "Public service disclosure",
        "version": "SLA policy version",
        "hotline": "24-hour service hotline",
        "supervision": "Supervision phone",
        "commitments": "Service commitments",
        "clock_note": "Time limits run from the day the materials are complete; missing "
        "materials are all listed in one notice.",
        "fees": "Fee items and standards",
        "item": "Item",
        "standard": "Standard",
        "hardship": "Hardship household tariff",
        "materials": "Procedure and required materials",
        "procedure": "Procedure",
        "required": "Required materials",
        "no_materials": "no materials required",
        "areas": "Service areas, phones and responsible staff",
        "area": "Area",
        "company": "Unit",
        "service_phone": "Service phone",
        "responsible": "Responsible maintenance person",
        "staff_id": "Employee no.",
        "phone": "Phone",
        "photo": "Photo",
        "unpublished": "to be published",
        "rule": "Rule",
        "outlets": "Business outlets, addresses and phones",
        "outlet": "Outlet",
        "address": "Address",
        "hours": "Opening hours",
    },
}
# R1.1 "the procedure of every business": the steps a customer goes through, per kind.
PROCEDURE = {
    "zh": {
        Kind.FAULT: "拨打热线或到营业厅报修 → 派单至服务区责任维护人员 → 预约上门 → 修复 → 回访",
        Kind.INSTALLATION: "提交材料 → 材料齐全后开始计时 → 预约上门安装 → 开通 → 回访",
        Kind.RESTORATION: "缴清欠费并提交材料 → 材料齐全后开始计时 → 恢复开通 → 回访",
        Kind.COMPLAINT: "热线、营业厅、网上或来访投诉 → 受理告知 → 调查处理 → 答复 → 回访",
        Kind.CONSULTATION: "热线、营业厅、网上或来访咨询 → 首问负责人答复或转办",
    },
    "en": {
        Kind.FAULT: "report by hotline or at a counter → dispatched to the area's responsible "
        "technician → visit by appointment → repair → callback",
        Kind.INSTALLATION: "submit the materials → the clock starts when they are complete → "
        "installation visit by appointment → activation → callback",
        Kind.RESTORATION: "pay the arrears and submit the materials → the clock starts when "
        "they are complete → restoration → callback",
        Kind.COMPLAINT: "complain by hotline, at a counter, online or in person → "
        "acknowledgement → investigation → answer → callback",
        Kind.CONSULTATION: "ask by hotline, at a counter, online or in person → answered or "
        "referred by the first-responsible person",
    },
}


class DisclosureError(ValueError):
    """The disclosure cannot be produced as asked (unknown area, format or language)."""


class Commitment(BaseModel):
    """One public time limit. `kind` is None for the commitments that are not case limits."""

    rule: str
    policy_field: str  # where the number comes from in the SLA policy (one source of truth)
    text: str
    kind: Kind | None = None
    severity: Severity | None = None
    setting: Setting | None = None
    hours: int | None = None
    working_days: int | None = None
    # Issue 11 item 12: "operator" marks a limit the regulation does not set (the operator's
    # own commitment), so the public is not told it is the regulation's.
    commitment: str = "regulation"
    days: int | None = None


class FeeLine(BaseModel):
    code: str
    name: str
    unit: str
    amount_yuan: float
    hardship_amount_yuan: float | None  # R9.8


class BusinessMaterials(BaseModel):
    kind: Kind
    name: str
    procedure: str
    materials: list[str]


class ResponsiblePerson(BaseModel):
    """R3.2: name, employee number, phone and photo reference of the area's technician."""

    staff_id: str
    name: str
    phone: str
    photo_ref: str | None


class AreaDisclosure(BaseModel):
    area_id: str
    name: str
    company: str
    setting: str
    service_phone: str
    supervision_phone: str
    responsible: ResponsiblePerson | None


class OutletDisclosure(BaseModel):
    """(一)5 「公示当地各营业点的地点与联系电话」: where each outlet is and how to call it."""

    outlet_id: str
    company: str  # the company or branch the outlet belongs to, by name
    name: str
    address: str
    phone: str
    hours: str


class Disclosure(BaseModel):
    lang: Lang
    policy_version: str
    company_name: str
    hotline: str
    supervision_phone: str
    commitments: list[Commitment]
    fees: list[FeeLine]
    businesses: list[BusinessMaterials]
    areas: list[AreaDisclosure]
    outlets: list[OutletDisclosure] = []


# --- building ----------------------------------------------------------------------------


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _limit_commitment(limit: TimeLimit, lang: Lang) -> Commitment:
    kind = KIND[lang][limit.kind]
    sev = SEVERITY[lang][limit.severity] if limit.severity else ""
    where = SETTING[lang][limit.setting] if limit.setting else ""
    own = limit.commitment == "operator"
    if lang == "zh":
        unit = f"{limit.hours}小时内" if limit.hours else f"{limit.working_days}个工作日内"
        text = f"{where}{sev}{kind}：{unit}办结"
        if limit.kind == Kind.INSTALLATION:
            text += "（以网络建设已完成为前提）"  # (四)4
        if own:
            text += "（本公司自定承诺）"
    else:
        label = " ".join(p for p in (sev, kind) if p).capitalize() + (
            f" ({where})" if where else ""
        )
        unit = f"{limit.hours} hours" if limit.hours else f"{limit.working_days} working days"
        text = f"{label}: within {unit}"
        if limit.kind == Kind.INSTALLATION:
            text += " (where the network is already built)"
        if own:
            text += " (the operator's own commitment)"
    return Commitment(
        rule=limit.rule,
        policy_field="time_limits",
        text=text,
        kind=limit.kind,
        severity=limit.severity,
        setting=limit.setting,
        hours=limit.hours,
        working_days=limit.working_days,
        commitment=limit.commitment,
    )


def commitments(policy: SlaPolicy, lang: Lang = "zh") -> list[Commitment]:
    """Every time limit of the policy, then the other public numbers (R9.2, R5.1, R9.5)."""
    result = [_limit_commitment(limit, lang) for limit in policy.time_limits]
    ack, cb, notice = (
        policy.acknowledge_hours,
        policy.callback_hours,
        policy.maintenance_notice_hours,
    )
    sep = "、" if lang == "zh" else ", "
    days = sep.join(str(d) for d in policy.fee_reminder_offsets_days)
    kinds = sep.join(KIND[lang][k] for k in policy.callback_kinds)
    if lang == "zh":
        extra = [
            (
                "R9.2",
                "acknowledge_hours",
                f"全天24小时受理；投诉{ack}小时内应答（确认、回电、转办或解决均为应答）",
                ack,
            ),
            ("R5.1/R9.6", "callback_hours", f"{kinds}100%回访，修复后{cb}小时内回访", cb),
            (
                "R9.5",
                "maintenance_notice_hours",
                f"计划检修及新业务至少提前{notice}小时公告",
                notice,
            ),
            (
                "R9.5",
                "fee_reminder_offsets_days",
                f"收视费到期前{days}天电话、短信及电视字幕提醒",
                None,
            ),
        ]
    else:
        extra = [
            (
                "R9.2",
                "acknowledge_hours",
                "Service accepted 24 hours a day; every complaint answered within "
                f"{ack} hours (an acknowledgement, a call, a referral or the solution)",
                ack,
            ),
            (
                "R5.1/R9.6",
                "callback_hours",
                f"100% callbacks ({kinds}), within {cb} hours after a repair",
                cb,
            ),
            (
                "R9.5",
                "maintenance_notice_hours",
                f"Planned maintenance and new services announced at least {notice} hours ahead",
                notice,
            ),
            (
                "R9.5",
                "fee_reminder_offsets_days",
                f"Fee expiry reminders {days} days ahead by phone, SMS and TV caption",
                None,
            ),
        ]
    result += [
        Commitment(rule=rule, policy_field=field, text=text, hours=hours)
        for rule, field, text, hours in extra
    ]
    result += _seed_commitments(policy, lang)
    return result


def _seed_commitments(policy: SlaPolicy, lang: Lang) -> list[Commitment]:
    """The clocks issue 11 added, each shown only when the policy runs it."""
    zh = lang == "zh"
    out: list[Commitment] = []
    if policy.tracking_hours is not None:
        hours = policy.tracking_hours
        kinds = ("、" if zh else ", ").join(KIND[lang][k] for k in policy.tracking_kinds)
        text = (
            f"{kinds}工单自来电起{hours}小时内跟踪落实结果"
            if zh
            else f"Work orders ({kinds}) tracked within {hours} hours of the customer's call"
        )
        out.append(Commitment(rule="R5.1", policy_field="tracking_hours", text=text, hours=hours))
    if policy.urgent_accept_hours is not None:
        n = f"{policy.urgent_accept_hours:g}"
        text = (
            f"重大故障、重大投诉及重要客户急事急办，{n}小时内接单处理"
            if zh
            else f"Major faults, major complaints and key accounts handled as urgent: "
            f"taken up within {n} hours"
        )
        out.append(Commitment(rule="R4.6", policy_field="urgent_accept_hours", text=text))
    if policy.materials_window_days is not None:
        days = policy.materials_window_days
        text = (
            f"材料不齐全的，请于{days}日内补齐（期间提醒一次），逾期视为按期办结"
            if zh
            else f"Missing materials are to be completed within {days} days (one reminder "
            "half-way); after that the request is deemed completed"
        )
        out.append(
            Commitment(rule="R4.5", policy_field="materials_window_days", text=text, days=days)
        )
    return out


def _area(session: Session, area: Area, lang: Lang) -> AreaDisclosure:
    # R3.5: the responsible person is read from the directory each time, never cached.
    tech = get_staff(session, area.technician_id)
    responsible = (
        ResponsiblePerson(
            staff_id=tech.staff_id, name=tech.name, phone=tech.phone, photo_ref=tech.photo_ref
        )
        if tech is not None
        else None
    )
    return AreaDisclosure(
        area_id=area.area_id,
        name=area.name,
        company=COMPANY[lang][area.company],
        setting=SETTING[lang][area.setting],
        service_phone=area.service_phone,
        supervision_phone=area.supervision_phone,
        responsible=responsible,
    )


def _outlets(session: Session, areas: list[Area]) -> list[OutletDisclosure]:
    """(一)5 the local outlets: those of the areas' branches (all of them for the whole
    disclosure), read from the directory each time like the responsible persons."""
    companies = {c.company_id: c.name for c in session.exec(select(CompanyUnit)).all()}
    branches = {a.branch_id for a in areas if a.branch_id}
    query = select(Outlet).order_by(col(Outlet.company_id), col(Outlet.outlet_id))
    if branches and len(areas) == 1:
        query = query.where(col(Outlet.company_id).in_(branches))
    return [
        OutletDisclosure(
            outlet_id=o.outlet_id,
            company=companies.get(o.company_id, o.company_id),
            name=o.name,
            address=o.address,
            phone=o.phone,
            hours=o.hours,
        )
        for o in session.exec(query).all()
    ]


def build_disclosure(
    policy: SlaPolicy, session: Session, *, lang: Lang = "zh", area_id: str | None = None
) -> Disclosure:
    """R1.1: the whole disclosure, or with `area_id` the disclosure of one area (R3.2)."""
    if lang not in TEXT:
        raise DisclosureError(f"unknown language {lang!r}; use one of {sorted(TEXT)}")
    if area_id is not None:
        one = get_area(session, area_id)
        if one is None:
            raise DisclosureError(f"unknown area {area_id!r}")
        areas = [one]
    else:
        rows = session.exec(select(Area).order_by(col(Area.area_id))).all()
        # The city company first, then the county branch; by area id within each.
        areas = sorted(rows, key=lambda a: (a.company != Company.CITY, a.area_id))
    zh = lang == "zh"
    return Disclosure(
        lang=lang,
        policy_version=policy.version,
        company_name=policy.contacts.company_name_zh if zh else policy.contacts.company_name_en,
        hotline=policy.contacts.hotline,
        supervision_phone=policy.contacts.supervision_phone,
        commitments=commitments(policy, lang),
        fees=[
            FeeLine(
                code=f.code,
                name=f.name_zh if zh else f.name_en,
                unit=f.unit_zh if zh else f.unit_en,
                amount_yuan=f.amount_yuan,
                hardship_amount_yuan=f.hardship_amount_yuan,
            )
            for f in policy.fees
        ],
        businesses=[
            BusinessMaterials(
                kind=kind,
                name=_sentence(KIND[lang][kind]),
                procedure=PROCEDURE[lang][kind],
                materials=[m.name_zh if zh else m.name_en for m in policy.required_materials(kind)],
            )
            for kind in Kind
        ],
        areas=[_area(session, a, lang) for a in areas],
        outlets=_outlets(session, list(areas)),
    )


# --- rendering ---------------------------------------------------------------------------


def _money(amount: float | None, unit: str) -> str:
    return "—" if amount is None else f"{amount:.2f} {unit}"


def _person(p: ResponsiblePerson | None, t: dict[str, str]) -> tuple[str, str, str, str]:
    if p is None:
        return (t["unpublished"], "—", "—", "—")
    return (p.name, p.staff_id, p.phone, p.photo_ref or "—")


def _tables(d: Disclosure) -> list[tuple[str, list[str], list[list[str]]]]:
    """The disclosure as titled tables, shared by the Markdown and HTML renderers."""
    t = TEXT[d.lang]
    materials_sep = "；" if d.lang == "zh" else "; "
    return [
        (
            t["commitments"],
            [t["commitments"], t["rule"]],
            [[c.text, c.rule] for c in d.commitments],
        ),
        (
            t["fees"],
            [t["item"], t["standard"], t["hardship"]],
            [
                [f.name, _money(f.amount_yuan, f.unit), _money(f.hardship_amount_yuan, f.unit)]
                for f in d.fees
            ],
        ),
        (
            t["materials"],
            [t["item"], t["procedure"], t["required"]],
            [
                [b.name, b.procedure, materials_sep.join(b.materials) or t["no_materials"]]
                for b in d.businesses
            ],
        ),
        (
            t["areas"],
            [
                t["area"],
                t["company"],
                t["service_phone"],
                t["supervision"],
                t["responsible"],
                t["staff_id"],
                t["phone"],
                t["photo"],
            ],
            [
                [
                    f"{a.name} ({a.area_id})",
                    f"{a.company} · {a.setting}",
                    a.service_phone,
                    a.supervision_phone,
                    *_person(a.responsible, t),
                ]
                for a in d.areas
            ],
        ),
        (
            t["outlets"],
            [t["outlet"], t["company"], t["address"], t["phone"], t["hours"]],
            [[o.name, o.company, o.address, o.phone, o.hours or "—"] for o in d.outlets],
        ),
    ]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Disclosure) -> str:
    t = TEXT[d.lang]
    out = [
        f"# {d.company_name} — {t['title']}",
        "",
        f"- **{t['hotline']}**: {d.hotline}",
        f"- **{t['supervision']}**: {d.supervision_phone}",
        f"- {t['version']}: {d.policy_version}",
        "",
    ]
    for title, header, rows in _tables(d):
        out += [f"## {title}", ""]
        if title == t["commitments"]:
            out += [t["clock_note"], ""]
        out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
        out.append("|" + "---|" * len(header))
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
.contacts { font-size: 1.3em; font-weight: bold; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
th, td { border: 1px solid #444; padding: 4px 8px; text-align: left; vertical-align: top; }
tr { page-break-inside: avoid; }
@media print { body { margin: 0; } }
"""


def render_html(d: Disclosure) -> str:
    """A self-contained page (inline CSS, no scripts) that prints cleanly; all text escaped."""
    t = TEXT[d.lang]
    e = html.escape
    title = f"{d.company_name} — {t['title']}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if d.lang == "zh" else "en"}">',
        f'<head><meta charset="utf-8"><title>{e(title)}</title><style>{_CSS}</style></head>',
        "<body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="contacts">{e(t["hotline"])}: {e(d.hotline)}<br>'
        f"{e(t['supervision'])}: {e(d.supervision_phone)}</p>",
        f"<p>{e(t['version'])}: {e(d.policy_version)}</p>",
    ]
    for title_, header, rows in _tables(d):
        parts.append(f"<h2>{e(title_)}</h2>")
        if title_ == t["commitments"]:
            parts.append(f"<p>{e(t['clock_note'])}</p>")
        parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header))
        parts.append("</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</tbody></table>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def render_json(d: Disclosure) -> str:
    return d.model_dump_json(indent=2) + "\n"


def render(d: Disclosure, fmt: str) -> str:
    if fmt == "md":
        return render_markdown(d)
    if fmt == "html":
        return render_html(d)
    if fmt == "json":
        return render_json(d)
    raise DisclosureError(f"unknown format {fmt!r}; use one of {list(FORMATS)}")
