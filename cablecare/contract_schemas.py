"""JSON Schema files of the public contract, generated from the pydantic models (issue 5).

The messages are read off the registered workflow classes themselves (worker/registry.py): the
run input and result, each update's argument and result, each signal's payload, each query's
result. A new workflow, update or query is therefore published by registering it, with no list
to keep here. The one exception is a handler that takes `Any` on purpose because it validates
its payload itself (a signal cannot be refused): `PAYLOAD_OVERRIDES` names its real model.

`scripts/generate_schemas.py` writes the files; `tests/test_schemas.py` fails when they drift.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter
from temporalio import workflow

from workflows.service_request.messages import SIGNAL_TECHNICIAN_UPDATE, TechnicianSignal
from workflows.service_request.messages import WORKFLOW_NAME as SERVICE_REQUEST

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
Kind = Literal["input", "result", "update", "signal", "query"]

# (workflow, handler name) -> the payload model of a handler declared with `Any`.
PAYLOAD_OVERRIDES: dict[tuple[str, str], Any] = {
    (SERVICE_REQUEST, SIGNAL_TECHNICIAN_UPDATE): TechnicianSignal,
}


@dataclass(frozen=True)
class Message:
    workflow: str
    kind: Kind
    name: str  # the handler's name; the workflow type for input and result
    type: Any
    direction: Literal["validation", "serialization"]  # what the workflow accepts or answers
    returns: Any = None  # for updates: the result type

    @property
    def path(self) -> str:
        stem = self.kind if self.kind in ("input", "result") else f"{self.kind}.{self.name}"
        return f"{self.workflow}/{stem}.json"

    def schema(self) -> dict[str, Any]:
        generated = TypeAdapter(self.type).json_schema(mode=self.direction)
        role = {
            "input": "start input",
            "result": "result of a completed run",
            "update": f"argument of update `{self.name}`",
            "signal": f"payload of signal `{self.name}`",
            "query": f"result of query `{self.name}`",
        }[self.kind]
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": generated.pop("title", None) or f"{self.workflow} {self.name}",
            "$comment": f"{self.workflow}: {role}. Generated from the models; do not edit.",
            "x-temporal": {"workflow": self.workflow, "kind": self.kind, "name": self.name},
            **generated,
        }


def _payload(workflow_name: str, handler: str, types: list[Any]) -> Any:
    override = PAYLOAD_OVERRIDES.get((workflow_name, handler))
    if override is not None:
        return override
    if not types or types[0] is Any:
        raise TypeError(
            f"{workflow_name}.{handler} takes no typed argument: give it a pydantic model or "
            "add it to PAYLOAD_OVERRIDES"
        )
    return types[0]  # one argument per message (docs/contract.md); later ones are internal


def messages(workflow_classes: list[type]) -> Iterator[Message]:
    for cls in workflow_classes:
        d = workflow._Definition.must_from_class(cls)
        name = str(d.name)
        yield Message(name, "input", name, _payload(name, "run", d.arg_types or []), "validation")
        if d.ret_type is not None:
            yield Message(name, "result", name, d.ret_type, "serialization")
        for update_name, u in sorted(d.updates.items(), key=lambda item: str(item[0])):
            update_type = _payload(name, str(update_name), u.arg_types or [])
            yield Message(name, "update", str(update_name), update_type, "validation", u.ret_type)
        for signal_name, s in sorted(d.signals.items(), key=lambda item: str(item[0])):
            signal_type = _payload(name, str(signal_name), s.arg_types or [])
            yield Message(name, "signal", str(signal_name), signal_type, "validation")
        for query_name, q in sorted(d.queries.items(), key=lambda item: str(item[0])):
            yield Message(name, "query", str(query_name), q.ret_type, "serialization")


def contract_messages() -> list[Message]:
    from worker.registry import workflow_classes

    return list(messages(workflow_classes()))


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _returns(message: Message, all_messages: list[Message]) -> str:
    """Where an update's result is described: the file of an output with the same type."""
    for kind in ("query", "result"):  # the status query first: it is what callers poll
        for other in all_messages:
            if other.workflow == message.workflow and other.kind == kind:
                if other.type == message.returns:
                    return f"[`{other.path}`]({other.path})"
    return f"`{getattr(message.returns, '__name__', message.returns)}`"


def index(all_messages: list[Message]) -> str:
    lines = [
        "# Contract schemas",
        "",
        "JSON Schema (draft 2020-12) of every message of the public contract",
        "([docs/contract.md](../docs/contract.md)):",
        "one file per workflow input, result, update argument, signal payload and query result.",
        "Generated from the pydantic models by `scripts/generate_schemas.py`; do not edit by",
        "hand. `tests/test_schemas.py` fails when the models and these files drift apart.",
        "Input schemas describe what the workflow accepts (unknown fields are refused);",
        "result schemas describe what it answers (new fields may appear: ignore them).",
        "How to send them: [docs/integration.md](../docs/integration.md).",
    ]
    for workflow_name in dict.fromkeys(m.workflow for m in all_messages):
        lines += [
            "",
            f"## `{workflow_name}`",
            "",
            "| kind | name | schema | returns |",
            "|---|---|---|---|",
        ]
        for m in (m for m in all_messages if m.workflow == workflow_name):
            returns = _returns(m, all_messages) if m.kind == "update" else ""
            name = "" if m.kind in ("input", "result") else f"`{m.name}`"
            lines.append(f"| {m.kind} | {name} | [`{m.path}`]({m.path}) | {returns} |")
    return "\n".join(lines) + "\n"


def expected_files() -> dict[str, str]:
    """Relative path under schemas/ -> exact file content."""
    all_messages = contract_messages()
    files = {m.path: render(m.schema()) for m in all_messages}
    files["README.md"] = index(all_messages)
    return files


def write(target: Path) -> list[str]:
    """Rewrite `target` to hold exactly the expected files; return the paths that changed."""
    files = expected_files()
    changed: list[str] = []
    for existing in sorted(target.rglob("*")):
        relative = existing.relative_to(target).as_posix()
        if existing.is_file() and relative not in files:
            existing.unlink()
            changed.append(relative)
    for relative, content in files.items():
        path = target / relative
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(relative)
    return sorted(changed)
