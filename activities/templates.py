"""Message templates. Chinese first: the operator's customers and staff read Chinese.

Templates carry case numbers, times and codes, never other people's personal data.
Times are written as a person reads them ("12月2日 11:53"), never as ISO timestamps, and every
placeholder a template names is filled (issue 11 item 13; tests/test_templates.py proves both).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

TEMPLATES: dict[str, dict[str, str]] = {
    # To customers (SMS)
    "case_received": {
        "zh": "【{company}】您的{kind_zh}申请已受理，单号{request_id}，我们将于{due_at}前办结。服务热线{hotline}。",
        "en": "[{company}] Your {kind} request {request_id} is accepted; due by {due_at}. Hotline {hotline}.",
    },
    "materials_missing": {
        "zh": "【{company}】您的{kind_zh}申请（单号{request_id}）还需补齐以下材料：{items}。材料齐全后开始计时。",
        "en": "[{company}] Request {request_id} still needs: {items}. The clock starts once complete.",
    },
    "complaint_acknowledged": {
        "zh": "【{company}】您的投诉（单号{request_id}）已收到，我们将于{due_at}前答复。",
        "en": "[{company}] Your complaint {request_id} is acknowledged; answer due by {due_at}.",
    },
    "visit_scheduled": {
        "zh": "【{company}】维修人员（工号{technician_id}）将于{window_start}至{window_end}上门，上门时出示工作证。",
        "en": "[{company}] Technician {technician_id} visits between {window_start} and {window_end}.",
    },
    "case_resolved": {
        "zh": "【{company}】您的单号{request_id}已办结，我们将在72小时内回访。如有问题请拨打{hotline}。",
        "en": "[{company}] Request {request_id} is resolved; we will call you back within 72 h.",
    },
    "case_referred": {
        "zh": "【{company}】您的{kind_zh}（单号{request_id}）由{department}办理，地址：{address}，"
        "联系方式：{contact}。如有问题请拨打{hotline}。",
        "en": "[{company}] Request {request_id} is handled by {department}, {address}, "
        "contact {contact}. Hotline {hotline}.",
    },
    "materials_reminder": {
        "zh": "【{company}】提醒：您的{kind_zh}申请（单号{request_id}）仍缺以下材料：{items}，"
        "请于{lapses_at}前补齐，逾期视为办结。服务热线{hotline}。",
        "en": "[{company}] Reminder: request {request_id} still needs {items}; "
        "complete them by {lapses_at} or the request is closed. Hotline {hotline}.",
    },
    "network_pending": {
        "zh": "【{company}】您所在地址的有线网络尚在建设中，您的{kind_zh}申请（单号{request_id}）"
        "将在网络建成后开始计时办理。服务热线{hotline}。",
        "en": "[{company}] The network at your address is still being built; request "
        "{request_id} starts its time limit once it is complete. Hotline {hotline}.",
    },
    # To staff (work app / SMS)
    "urgent_dispatch": {
        "zh": "急办：单号{request_id}（{kind_zh}，{reason}）请立即处理，须于{accept_by}前接单。",
        "en": "Urgent: {request_id} ({kind}, {reason}); accept by {accept_by}.",
    },
    "leadership_question": {
        "zh": "请示：单号{request_id}（{kind_zh}）{matter}：{question}，请领导答复。",
        "en": "Question to leadership on {request_id} ({kind}), {matter}: {question}",
    },
    "leadership_answer": {
        "zh": "领导答复：单号{request_id}：{answer}",
        "en": "Leadership answer on {request_id}: {answer}",
    },
    "escalation_withdrawn": {
        "zh": "撤销：单号{request_id}的超时升级已撤销（{reason}），问责案件{case_ids}请予撤销。",
        "en": "Withdrawn: the breach escalation of {request_id} ({reason}); "
        "accountability case(s) {case_ids} to be withdrawn.",
    },
    "staff_warning": {
        "zh": "预警：单号{request_id}（{limit}）将于{due_at}到期，请尽快处理。",
        "en": "Warning: {request_id} ({limit}) is due at {due_at}.",
    },
    "staff_escalation": {
        "zh": "升级：单号{request_id}（{kind_zh}）{reason}（规则{rule}），请督办。",
        "en": "Escalation: {request_id} {reason} (rule {rule}).",
    },
    "staff_assigned": {
        "zh": "派单：单号{request_id}（{kind_zh}）已派给您，时限{due_at}。",
        "en": "Assigned: {request_id} ({kind}) is yours, due {due_at}.",
    },
    "leadership_report": {
        "zh": "报告：单号{request_id}（{kind_zh}）为{reason}，请领导关注。",
        "en": "Report: {request_id} is {reason}; leadership attention requested.",
    },
    "unreachable_report": {
        "zh": "单号{request_id}（{kind_zh}）：用户{reason_zh}（{attempted_at}），"
        "维修人员已提交书面报告，视为按时办结。报告：{report}",
        "en": "{request_id}: customer {reason} ({attempted_at}); written report filed, "
        "deemed completed on time. Report: {report}",
    },
    "accountability_opened": {
        "zh": "问责：案件{case_id}（规则{rule}）已立案，请于{due_at}前提交书面说明。",
        "en": "Accountability case {case_id} (rule {rule}) opened; statement due {due_at}.",
    },
    "accountability_decided": {
        "zh": "问责：案件{case_id}已作出处理决定：{outcome}。",
        "en": "Accountability case {case_id} decided: {outcome}.",
    },
    # R9.5 maintenance notices (SMS to each subscriber; the same text as a TV caption per area)
    "maintenance_notice": {
        "zh": "【{company}】{kind_zh}公告：{starts_at}至{ends_at}，{text}。"
        "给您带来不便，敬请谅解。服务热线{hotline}。",
        "en": "[{company}] {kind}: {starts_at} to {ends_at}. {text} Hotline {hotline}.",
    },
    "maintenance_changed": {
        "zh": "【{company}】{kind_zh}时间变更：改为{starts_at}至{ends_at}，{text}。"
        "以本通知为准。服务热线{hotline}。",
        "en": "[{company}] {kind} changed: now {starts_at} to {ends_at}. {text} Hotline {hotline}.",
    },
    "maintenance_start": {
        "zh": "【{company}】提醒：{kind_zh}现已开始，预计{ends_at}结束，期间信号可能中断。"
        "服务热线{hotline}。",
        "en": "[{company}] Reminder: {kind} has started; expected to end {ends_at}. "
        "Hotline {hotline}.",
    },
    "maintenance_cancelled": {
        "zh": "【{company}】原定{starts_at}开始的{kind_zh}已取消（{reason}），服务照常。"
        "服务热线{hotline}。",
        "en": "[{company}] The {kind} planned for {starts_at} is cancelled ({reason}).",
    },
    # R9.5 / R9.8 fee-expiry reminders (SMS or phone task, plus a TV caption)
    "fee_reminder": {
        "zh": "【{company}】您的有线电视收视费将于{expires_on}到期（还有{days_left}天），"
        "基本收视维护费{amount}元/月，请及时缴费。服务热线{hotline}。",
        "en": "[{company}] Your TV subscription expires on {expires_on} ({days_left} days); "
        "fee {amount} CNY/month. Hotline {hotline}.",
    },
    "fee_reminder_hardship": {
        "zh": "【{company}】您的有线电视收视费将于{expires_on}到期（还有{days_left}天）。"
        "您享受困难家庭优惠，基本收视维护费减按{amount}元/月（标准{standard_amount}元/月）。"
        "服务热线{hotline}。",
        "en": "[{company}] Your TV subscription expires on {expires_on} ({days_left} days); "
        "your hardship tariff is {amount} CNY/month (standard {standard_amount}). "
        "Hotline {hotline}.",
    },
    # R5.4 key-account callback plan (to the callback agent)
    # Supervision (issue 12, (七)2): ids and codes only
    "inspection_finding": {
        "zh": "督查：检查{inspection_id}的问题{finding_id}（{item}）状态{state}，整改期限{due_at}。",
        "en": "Inspection {inspection_id} finding {finding_id} ({item}): {state}, correct by {due_at}.",
    },
    "inspection_escalation": {
        "zh": "督查升级：检查{inspection_id}的问题{finding_id}（{item}）未在{due_at}前整改，问责案件{case_id}。",
        "en": "Escalation: inspection {inspection_id} finding {finding_id} ({item}) not corrected by {due_at}; accountability {case_id}.",
    },
    "certificate_expiring": {
        "zh": "培训证书提醒：员工{staff_id}的{role}证书将于{expires_on}到期，请安排复训考核。",
        "en": "Certificate reminder: {staff_id}'s {role} certificate expires on {expires_on}.",
    },
    "key_account_callback_task": {
        "zh": "回访任务{task_id}：请于{due_on}前回访重点客户{subscriber_id}（服务区{area_id}），"
        "并登记回访结果。",
        "en": "Callback task {task_id}: call key account {subscriber_id} (area {area_id}) "
        "by {due_on} and record the result.",
    },
}

NOTICE_KIND_ZH = {
    "line_maintenance": "线路检修",
    "new_service": "新业务开通",
}

KIND_ZH = {
    "fault": "故障报修",
    "installation": "新装开通",
    "restoration": "复通",
    "complaint": "投诉",
    "consultation": "咨询",
}


_PLACEHOLDER = re.compile(r"{(\w+)}")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def fields(template: str, lang: str = "zh") -> set[str]:
    """Every placeholder a template names."""
    return set(_PLACEHOLDER.findall(TEMPLATES[template][lang]))


def reading_time(moment: datetime, tz: tzinfo | None = None, lang: str = "zh") -> str:
    """A time as a customer reads it: "12月2日 11:53", in the operator's local time. An
    end-of-day deadline (R4.4, 24:00) reads "12月2日 24:00" rather than "12月3日 00:00"."""
    local = moment.astimezone(tz) if tz is not None else moment
    day, clock = local, local.strftime("%H:%M")
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day, clock = local - timedelta(days=1), "24:00"
    if lang == "zh":
        return f"{day.month}月{day.day}日 {clock}"
    return f"{day.day} {day.strftime('%b')} {clock}"


def reading_day(day: date, lang: str = "zh") -> str:
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {day.strftime('%b')}"


def _readable(value: str, lang: str) -> str:
    """Safety net for producers outside the case logic: an ISO timestamp or date handed in as
    a parameter is written as a person reads it (in the offset it carries)."""
    if _ISO_MOMENT.match(value):
        return reading_time(datetime.fromisoformat(value.replace("Z", "+00:00")), lang=lang)
    if _ISO_DAY.match(value):
        return reading_day(date.fromisoformat(value), lang)
    return value


def complete_params(params: dict[str, str], lang: str = "zh") -> dict[str, str]:
    """The parameters a template is filled with: readable times, and `kind_zh` derived from
    `kind` (the producers give the code; the customer reads the Chinese name)."""
    out = {k: _readable(v, lang) for k, v in params.items()}
    kind = params.get("kind")
    if kind is not None and "kind_zh" not in out:
        out["kind_zh"] = KIND_ZH.get(kind) or NOTICE_KIND_ZH.get(kind, kind)
    return out


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, params: dict[str, str], lang: str = "zh") -> str:
    """Fill a template; an unknown placeholder stays visible instead of failing the send
    (tests/test_templates.py fails on any placeholder a producer leaves unfilled)."""
    text = TEMPLATES[template][lang]
    return text.format_map(_Missing(complete_params(params, lang)))
