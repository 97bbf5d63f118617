"""The public disclosure (R1.1, R3.2, R3.5, R9.8): built from the policy file and the directory.

Numbers are read from the policy here, never written into the test, so the test proves the
disclosure follows the same data as the timers.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner

from activities.db import get_engine, init_db
from activities.directory_load import load_directory_file
from cablecare import REPO_ROOT
from cablecare.cli.disclosure import disclosure as disclosure_command
from cablecare.disclosure import (
    Disclosure,
    DisclosureError,
    build_disclosure,
    commitments,
    render,
)
from cablecare.domain import Kind
from cablecare.policy import SlaPolicy, load_policy
from cablecare.settings import get_settings

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"
POLICY_PATH = REPO_ROOT / "policy" / "sla-policy.toml"


def sample() -> dict[str, list[dict[str, Any]]]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def loaded(database_url: str) -> str:
    init_db(database_url)
    load_directory_file(database_url, SAMPLE)
    return database_url


@pytest.fixture
def policy() -> SlaPolicy:
    return load_policy(POLICY_PATH)


def build(url: str, policy: SlaPolicy, **kwargs: Any) -> Disclosure:
    with Session(get_engine(url)) as session:
        return build_disclosure(policy, session, **kwargs)


def public_numbers(policy: SlaPolicy) -> list[tuple[str, int]]:
    """(policy field, number) of every public time limit in the policy."""
    numbers = [("time_limits", lim.hours or lim.working_days or 0) for lim in policy.time_limits]
    return numbers + [
        ("acknowledge_hours", policy.acknowledge_hours),
        ("callback_hours", policy.callback_hours),
        ("maintenance_notice_hours", policy.maintenance_notice_hours),
    ]


def test_r1_1_disclosure_json_lists_every_policy_time_limit(loaded: str, policy: SlaPolicy) -> None:
    doc = json.loads(render(build(loaded, policy), "json"))
    limits = [c for c in doc["commitments"] if c["policy_field"] == "time_limits"]
    assert [
        (c["kind"], c["severity"], c["setting"], c["hours"], c["working_days"], c["rule"])
        for c in limits
    ] == [
        (
            lim.kind.value,
            lim.severity.value if lim.severity else None,
            lim.setting.value if lim.setting else None,
            lim.hours,
            lim.working_days,
            lim.rule,
        )
        for lim in policy.time_limits
    ]
    by_field = {c["policy_field"]: c for c in doc["commitments"]}
    assert by_field["acknowledge_hours"]["hours"] == policy.acknowledge_hours  # R9.2
    assert by_field["callback_hours"]["hours"] == policy.callback_hours  # R5.1
    assert by_field["maintenance_notice_hours"]["hours"] == policy.maintenance_notice_hours
    assert doc["hotline"] == policy.contacts.hotline
    assert doc["supervision_phone"] == policy.contacts.supervision_phone
    fees = {f["code"]: f for f in doc["fees"]}
    for fee in policy.fees:  # R9.8
        assert fees[fee.code]["hardship_amount_yuan"] == fee.hardship_amount_yuan


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_r1_1_disclosure_contains_hotline_commitments_fees_and_area_staff(
    loaded: str, policy: SlaPolicy, fmt: str
) -> None:
    d = build(loaded, policy)
    text = render(d, fmt)
    assert policy.contacts.hotline in text
    assert policy.contacts.supervision_phone in text
    assert policy.contacts.company_name_zh in text
    for field, number in public_numbers(policy):
        matching = [c for c in d.commitments if c.policy_field == field and str(number) in c.text]
        assert matching, f"no commitment shows {field}={number}"
        assert any(c.text in text for c in matching)
    for fee in policy.fees:  # R9.8 the hardship tariff is public
        assert fee.name_zh in text
        if fee.hardship_amount_yuan is not None and fmt != "json":
            assert f"{fee.hardship_amount_yuan:.2f}" in text
    for materials in policy.materials.values():  # R1.1 required materials of every business
        for m in materials:
            assert m.name_zh in text
    staff = {s["staff_id"]: s for s in sample()["staff"]}
    for area in sample()["areas"]:  # R3.2
        tech = staff[area["technician_id"]]
        for value in (area["service_phone"], area["supervision_phone"], tech["staff_id"]):
            assert value in text
        assert tech["name"] in text and tech["phone"] in text and tech["photo_ref"] in text
    for outlet in sample()["outlets"]:  # (一)5 every outlet's place and phone
        assert outlet["name"] in text and outlet["address"] in text and outlet["phone"] in text


def test_r1_1_disclosure_follows_a_policy_change(loaded: str, policy: SlaPolicy) -> None:
    raw = tomllib.loads(POLICY_PATH.read_text(encoding="utf-8"))
    raw["time_limits"][0]["hours"] = 17
    raw["fees"][0]["hardship_amount_yuan"] = 9.5
    raw["contacts"]["hotline"] = "96999"
    changed = SlaPolicy.model_validate(raw)
    text = render(build(loaded, changed), "md")
    assert "96999" in text and "17小时内" in text and "9.50 元" in text
    assert f"**: {policy.contacts.hotline}\n" not in text


def test_r1_1_disclosure_html_is_self_contained_and_escaped(
    loaded: str, policy: SlaPolicy, tmp_path: Path
) -> None:
    area = dict(sample()["areas"][0], name="<script>alert(1)</script> & 东区")
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"areas": [area]}, ensure_ascii=False), encoding="utf-8")
    load_directory_file(loaded, path)
    page = render(build(loaded, policy, area_id=area["area_id"]), "html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 东区" in page


def test_r3_5_change_of_responsible_person_is_published_at_once(
    loaded: str, policy: SlaPolicy, tmp_path: Path
) -> None:
    area = dict(sample()["areas"][0], technician_id="T-HF-01-2")
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"areas": [area]}), encoding="utf-8")
    load_directory_file(loaded, path)
    d = build(loaded, policy, area_id="A-HF-01")
    assert d.areas[0].responsible is not None
    assert d.areas[0].responsible.staff_id == "T-HF-01-2"


def test_r3_2_disclosure_of_one_area(loaded: str, policy: SlaPolicy) -> None:
    d = build(loaded, policy, area_id="A-FD-02")
    assert [a.area_id for a in d.areas] == ["A-FD-02"]
    text = render(d, "md")
    assert "T-FD-02-1" in text and "T-HF-01-1" not in text
    # (一)5 "local" outlets: the area's own branch, not the whole province's.
    assert [o.outlet_id for o in d.outlets] == ["OUT-FD-1"]
    assert "店埠营业厅" in text and "蜀山营业厅" not in text
    with pytest.raises(DisclosureError, match="unknown area 'A-NOPE'"):
        build(loaded, policy, area_id="A-NOPE")


def test_r1_1_disclosure_in_english(loaded: str, policy: SlaPolicy) -> None:
    text = render(build(loaded, policy, lang="en"), "md")
    assert policy.contacts.company_name_en in text
    assert "working days" in text and "hotline" in text
    for fee in policy.fees:
        assert fee.name_en in text
    assert policy.contacts.company_name_zh not in text


# --- command -----------------------------------------------------------------------------


@pytest.fixture
def cli(loaded: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("DATABASE_URL", loaded)
    get_settings.cache_clear()
    app = typer.Typer()
    app.command()(disclosure_command)
    yield app
    get_settings.cache_clear()


def test_cli_disclosure_formats_area_lang_and_output(
    cli: typer.Typer, policy: SlaPolicy, tmp_path: Path
) -> None:
    runner = CliRunner()
    md = runner.invoke(cli, [])
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("# ") and policy.contacts.hotline in md.stdout
    en = runner.invoke(cli, ["--format", "json", "--lang", "en", "--area", "A-HF-02"])
    doc = json.loads(en.stdout)
    assert doc["lang"] == "en" and [a["area_id"] for a in doc["areas"]] == ["A-HF-02"]
    out = tmp_path / "disclosure.html"
    html = runner.invoke(cli, ["--format", "html", "--output", str(out)])
    assert html.exit_code == 0 and html.stdout == ""
    assert policy.contacts.hotline in out.read_text(encoding="utf-8")


def test_cli_disclosure_unknown_area_or_format_exits_2(cli: typer.Typer) -> None:
    runner = CliRunner()
    bad_area = runner.invoke(cli, ["--area", "A-NOPE"])
    assert bad_area.exit_code == 2 and "unknown area 'A-NOPE'" in bad_area.stderr
    bad_format = runner.invoke(cli, ["--format", "pdf"])
    assert bad_format.exit_code == 2 and "unknown format 'pdf'" in bad_format.stderr


def test_r1_1_disclosure_says_what_issue_11_clocks_do() -> None:
    """The disclosure and the policy say the same as the code: (九)2 any first response,
    (五)1 tracking from the call, (四)6 urgent first action, (四)5 materials window, (四)4
    installation only where the network is built, and the consultation limit marked as the
    operator's own commitment (not the regulation's)."""
    policy = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
    for lang in ("zh", "en"):
        by_field = {c.policy_field: c for c in commitments(policy, lang)}
        assert by_field["tracking_hours"].hours == policy.tracking_hours
        assert f"{policy.urgent_accept_hours:g}" in by_field["urgent_accept_hours"].text
        assert by_field["materials_window_days"].days == policy.materials_window_days
        limits = [c for c in commitments(policy, lang) if c.policy_field == "time_limits"]
        consultation = [c for c in limits if c.kind == Kind.CONSULTATION]
        assert consultation and all(c.commitment == "operator" for c in consultation)
        assert all(("自定" in c.text) or ("own" in c.text) for c in consultation)
        installs = [c for c in limits if c.kind == Kind.INSTALLATION]
        assert all(("网络建设已完成" in c.text) or ("network" in c.text) for c in installs)
    zh = {c.policy_field: c for c in commitments(policy, "zh")}
    assert "应答" in zh["acknowledge_hours"].text and "转办" in zh["acknowledge_hours"].text
