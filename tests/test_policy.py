"""The shipped SLA policy holds the numbers of docs/rules.md; a bad file is refused clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cablecare import REPO_ROOT
from cablecare.domain import AccountabilitySeverity, Company, Kind, Setting, Severity
from cablecare.policy import PolicyError, SlaPolicy, TimeLimit, load_policy

POLICY_PATH = REPO_ROOT / "policy" / "sla-policy.toml"
POLICY = load_policy(POLICY_PATH)
SHIPPED = POLICY_PATH.read_text(encoding="utf-8")


def limit(
    kind: Kind, severity: Severity = Severity.ORDINARY, setting: Setting = Setting.URBAN
) -> TimeLimit:
    return POLICY.time_limit(kind, severity, setting)


# --- the shipped file -------------------------------------------------------------------------


def test_r1_1_shipped_policy_loads_with_a_version_and_contacts() -> None:
    assert POLICY.version
    assert POLICY.timezone == "Asia/Shanghai"
    assert POLICY.contacts.hotline and POLICY.contacts.supervision_phone


def test_r4_3_fault_limits_are_24_and_72_hours() -> None:
    for setting in Setting:
        ordinary = limit(Kind.FAULT, Severity.ORDINARY, setting)
        major = limit(Kind.FAULT, Severity.MAJOR, setting)
        assert (ordinary.hours, ordinary.working_days, ordinary.rule) == (24, None, "R4.3")
        assert (major.hours, major.working_days, major.rule) == (72, None, "R4.3")


def test_r4_4_installation_5_urban_10_rural_working_days() -> None:
    for severity in Severity:
        urban = limit(Kind.INSTALLATION, severity, Setting.URBAN)
        rural = limit(Kind.INSTALLATION, severity, Setting.RURAL)
        assert (urban.working_days, urban.hours, urban.rule) == (5, None, "R4.4")
        assert (rural.working_days, rural.hours, rural.rule) == (10, None, "R4.4")


def test_r4_4_restoration_5_and_complaint_3_working_days() -> None:
    for severity in Severity:
        for setting in Setting:
            assert limit(Kind.RESTORATION, severity, setting).working_days == 5
    for setting in Setting:
        assert limit(Kind.COMPLAINT, Severity.ORDINARY, setting).working_days == 3


def test_si_6_major_complaint_answered_sooner_as_the_operators_own_limit() -> None:
    """(四)6 急事急辦: the operator's shorter answer limit for a major complaint."""
    for setting in Setting:
        major = limit(Kind.COMPLAINT, Severity.MAJOR, setting)
        assert major.working_days == 1 and major.commitment == "operator"


def test_consultation_limit_is_the_operators_own_commitment_without_accountability() -> None:
    """Issue 11 item 12: the regulation sets no limit for consultations ((二)6 answers them at
    first contact); the day in the policy is labelled the operator's and opens no case."""
    for severity in Severity:
        for setting in Setting:
            lim = limit(Kind.CONSULTATION, severity, setting)
            assert lim.commitment == "operator" and not lim.opens_accountability
            assert lim.rule != "R4.3"


def test_r9_2_r5_1_r7_3_acknowledge_callback_and_warning() -> None:
    assert POLICY.acknowledge_hours == 4  # R9.2
    assert POLICY.callback_hours == 72  # R5.1 / R9.6
    assert POLICY.warning_fraction == 0.75  # R7.3


def test_r5_1_r9_6_repairs_complaints_and_installations_are_called_back() -> None:
    for kind in (Kind.FAULT, Kind.COMPLAINT, Kind.INSTALLATION):
        assert POLICY.needs_callback(kind)
    assert not POLICY.needs_callback(Kind.CONSULTATION)


def test_r3_1_staffing_norms_4500_city_2000_county() -> None:
    assert POLICY.staffing_norms == {Company.CITY: 4500, Company.COUNTY: 2000}


def test_r2_5_installation_needs_several_materials_and_a_fault_none() -> None:
    assert len(POLICY.required_materials(Kind.INSTALLATION)) >= 2
    assert POLICY.required_materials(Kind.FAULT) == []
    assert POLICY.required_materials(Kind.COMPLAINT) == []


def test_r6_5_every_accountability_severity_has_an_outcome() -> None:
    assert {o.severity for o in POLICY.accountability.outcomes} == set(AccountabilitySeverity)


def test_r4_4_policy_survives_a_json_round_trip_for_the_case_snapshot() -> None:
    # Each case snapshots the policy it started with (docs/rules.md); the snapshot travels as JSON.
    assert SlaPolicy.model_validate(POLICY.model_dump(mode="json")) == POLICY


# --- R2.5: all missing items in one answer ------------------------------------------------------


def test_r2_5_missing_materials_lists_every_missing_item_at_once() -> None:
    required = [m.code for m in POLICY.required_materials(Kind.INSTALLATION)]
    assert POLICY.missing_materials(Kind.INSTALLATION, []) == required
    assert POLICY.missing_materials(Kind.INSTALLATION, [required[1]]) == [
        code for code in required if code != required[1]
    ]


def test_r2_5_missing_materials_keeps_policy_order_and_ignores_extras() -> None:
    required = [m.code for m in POLICY.required_materials(Kind.INSTALLATION)]
    provided = {"a_photo", required[0]}
    assert POLICY.missing_materials(Kind.INSTALLATION, provided) == required[1:]
    assert POLICY.missing_materials(Kind.INSTALLATION, list(reversed(required))) == []
    assert POLICY.missing_materials(Kind.FAULT, []) == []


# --- a bad policy file ------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sla-policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def without_time_limit(kind: str) -> str:
    """The shipped file minus every [[time_limits]] block of one kind."""
    blocks = re.split(r"(?=^\[\[time_limits\]\]\n)", SHIPPED, flags=re.MULTILINE)
    kept = [b for b in blocks if not b.startswith(f'[[time_limits]]\nkind = "{kind}"\n')]
    assert len(kept) < len(blocks)
    return "".join(kept)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param(
            SHIPPED.replace('severity = "major"\nhours = 72', 'severity = "major"\nhours = -72'),
            "time_limits.1.hours",
            id="r4_3-negative-hours",
        ),
        pytest.param(SHIPPED.replace('version = "2026.2"\n', ""), "version", id="missing-version"),
        pytest.param(
            SHIPPED.replace("warning_fraction = 0.75", "warning_fraction = 1.5"),
            "warning_fraction",
            id="r7_3-fraction-above-one",
        ),
        pytest.param(
            SHIPPED.replace("city = 4500\n", ""), "staffing_norms", id="r3_1-missing-norm"
        ),
        pytest.param(
            without_time_limit("complaint"), "kind=complaint", id="r4_4-kind-without-limit"
        ),
        pytest.param(
            SHIPPED.replace("working_days = 3\n", "working_days = 3\nhours = 72\n"),
            "time_limits.5",
            id="r4_4-two-units",
        ),
        pytest.param(
            SHIPPED.replace('code = "id_card"', 'code = "ID card"', 1),
            "materials.installation.0.code",
            id="r2_5-bad-material-code",
        ),
        pytest.param(SHIPPED + "\nsurprise = 1\n", "surprise", id="unknown-key"),
        pytest.param(
            SHIPPED.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Peking"'),
            "timezone",
            id="r4_4-unknown-timezone",
        ),
        pytest.param(
            # A rural fault matches its severity entry and this one equally well: which applies?
            SHIPPED
            + '\n[[time_limits]]\nkind = "fault"\nsetting = "rural"\nhours = 48\nrule = "R4.3"\n',
            "equally specific limits for kind=fault",
            id="r4_3-ambiguous-limits",
        ),
        pytest.param(SHIPPED + "\nthis is = = not toml\n", "not valid TOML", id="invalid-toml"),
    ],
)
def test_r4_4_bad_policy_file_names_the_wrong_field(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(path) in str(caught.value)
    assert field in str(caught.value)


def test_r4_4_missing_policy_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "absent.toml")


def test_current_policy_rereads_only_a_changed_file(tmp_path: Path) -> None:
    """A running worker picks up an edited policy for new cases, without re-parsing every time."""
    from cablecare.policy import current_policy

    path = tmp_path / "sla-policy.toml"
    text = (REPO_ROOT / "policy" / "sla-policy.toml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = current_policy(path)
    assert current_policy(path) is first  # unchanged file: the same parsed policy
    path.write_text(text.replace('version = "2026.2"', 'version = "2026.10"'), encoding="utf-8")
    assert current_policy(path).version == "2026.10"
