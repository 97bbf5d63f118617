"""The published JSON Schemas (schemas/) and docs/contract.md match the pydantic models
(issue 5 item 1, issue 13 item 2).

When this fails after a model change: run `.venv/bin/python scripts/generate_schemas.py`,
review the diff (fields may be added, never renamed or removed: docs/contract.md) and commit it.
A new message also needs its `<!-- fields: ... -->` block in docs/contract.md, with prose.
"""

from __future__ import annotations

import json

from cablecare import REPO_ROOT
from cablecare.contract_doc import block_paths, field_table, refresh
from cablecare.contract_schemas import Message, contract_messages, expected_files
from workflows.service_request.messages import ResolveUpdate

SCHEMAS = REPO_ROOT / "schemas"
CONTRACT = REPO_ROOT / "docs" / "contract.md"
REGENERATE = "run `.venv/bin/python scripts/generate_schemas.py` and commit schemas/"


def test_schema_files_match_the_models() -> None:
    expected = expected_files()
    on_disk = {p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.rglob("*") if p.is_file()}
    assert not set(expected) - on_disk, f"missing schema files; {REGENERATE}"
    assert not on_disk - set(expected), f"schema files of no message; {REGENERATE}"
    stale = [p for p, text in expected.items() if (SCHEMAS / p).read_text("utf-8") != text]
    assert not stale, f"out of date: {stale}; {REGENERATE}"


def test_every_contract_message_is_published() -> None:
    paths = {m.path for m in contract_messages()}
    service_request = {
        "ServiceRequest/input.json",
        "ServiceRequest/signal.technician_update.json",
        "ServiceRequest/query.status.json",
        "ServiceRequest/query.customer_view.json",
        *(
            f"ServiceRequest/update.{name}.json"
            for name in (
                "submit_materials acknowledge refer assign schedule_visit report_progress resolve "
                "report_unreachable request_extension decide_extension declare_force_majeure "
                "end_force_majeure record_callback cancel"
            ).split()
        ),
    }
    accountability = {
        "AccountabilityCase/input.json",
        "AccountabilityCase/update.submit_statement.json",
        "AccountabilityCase/update.decide.json",
        "AccountabilityCase/query.status.json",
    }
    assert service_request | accountability | {"MaintenanceNotice/input.json"} <= paths
    index = (SCHEMAS / "README.md").read_text("utf-8")
    assert all(f"]({path})" in index for path in paths)


def test_a_changed_model_changes_its_schema() -> None:
    """The drift check has teeth: a field added to a model shows up in the rendered file."""

    class Widened(ResolveUpdate):
        parts_used: list[str] = []

    before = Message("ServiceRequest", "update", "resolve", ResolveUpdate, "validation").schema()
    after = Message("ServiceRequest", "update", "resolve", Widened, "validation").schema()
    assert "parts_used" in json.dumps(after) and "parts_used" not in json.dumps(before)


def test_schemas_carry_the_rules_a_caller_needs() -> None:
    """Ids are restricted (no personal data), unknown fields are refused, the signal is tagged."""
    start = json.loads((SCHEMAS / "ServiceRequest/input.json").read_text("utf-8"))
    assert start["additionalProperties"] is False
    assert start["properties"]["request_id"]["pattern"] == "^[A-Za-z0-9-]{1,64}$"
    assert {"request_id", "kind", "subscriber_id", "channel", "received_by"} <= set(
        start["required"]
    )
    signal = json.loads((SCHEMAS / "ServiceRequest/signal.technician_update.json").read_text())
    assert signal["discriminator"]["propertyName"] == "type"
    tags = set(signal["discriminator"]["mapping"])
    assert tags == {"progress", "visit", "resolve", "unreachable"}


def test_the_integration_guide_examples_are_valid_messages() -> None:
    """Every `--name X --input '{...}'` of docs/integration.md validates against its model."""
    import re

    from pydantic import TypeAdapter

    guide = (REPO_ROOT / "docs" / "integration.md").read_text("utf-8")
    by_name = {m.name: m for m in contract_messages() if m.workflow == "ServiceRequest"}
    examples = re.findall(r"--name (\w+)\s+--input '(\{.*?\})'", guide, flags=re.S)
    assert len(examples) >= 15
    for name, payload in examples:
        if name in by_name and by_name[name].kind in ("update", "signal"):
            TypeAdapter(by_name[name].type).validate_json(payload)
    starts = re.findall(r"--type ServiceRequest .*?--input '(\{.*?\})'", guide, flags=re.S)
    [start_input] = [m for m in contract_messages() if m.path == "ServiceRequest/input.json"]
    TypeAdapter(start_input.type).validate_json(starts[0])


def test_the_contract_document_has_every_message_and_field_up_to_date() -> None:
    """docs/contract.md: one field block per message, none for a message that is gone, each
    block as the models render it today (so a missing or stale field fails)."""
    document = CONTRACT.read_text("utf-8")
    blocks = block_paths(document)
    paths = [m.path for m in contract_messages()]
    assert not set(paths) - set(blocks), "messages missing from docs/contract.md; add blocks"
    assert not set(blocks) - set(paths), "docs/contract.md documents messages that do not exist"
    assert len(blocks) == len(set(blocks)), "a message is documented twice"
    assert refresh(document) == document, f"docs/contract.md field tables are stale; {REGENERATE}"
    for m in contract_messages():  # each handler is named in the prose too
        if m.kind in ("update", "signal", "query"):
            assert f"`{m.name}`" in document, m.name


def test_the_contract_drift_check_has_teeth() -> None:
    """A field added to a model changes its block; a block dropped from the document is seen."""

    class Widened(ResolveUpdate):
        parts_used: list[str] = []

    message = Message("ServiceRequest", "update", "resolve", Widened, "validation")
    assert "`parts_used`" in field_table(message)
    document = CONTRACT.read_text("utf-8")
    stale = document.replace("| `resolution` |", "| `resolution_text` |")
    assert refresh(stale) != stale
    dropped = document.replace("<!-- fields: ServiceRequest/update.resolve.json -->", "")
    assert "ServiceRequest/update.resolve.json" not in block_paths(dropped)


def test_the_repository_points_nowhere_outside_itself() -> None:
    """The repository carries its own contract: no file (code, docs, configuration) points into
    a shared folder beside the clone or at documents that only exist there."""
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # Spelled in pieces so that this file does not itself point outside the repository.
    shared = "/".join(("..", "shared"))
    outside = (
        shared,
        "/work/" + "shared",
        "CONTRACT" + ".md",
        "TEMPORAL_NOTES" + ".md",
        "STYLE" + ".md",
    )
    offenders = []
    for name in tracked:
        path = REPO_ROOT / name
        if path.suffix not in TEXT_SUFFIXES:
            continue
        text = path.read_text("utf-8", errors="replace")
        offenders += [f"{name}: {word}" for word in outside if word in text]
    assert not offenders, offenders


TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".sh", ".json", ".ts", ".ini", ".env"}
