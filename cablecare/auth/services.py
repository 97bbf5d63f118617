"""Service identities: systems that act on their own, each with an explicit list of operations.

A token whose subject is listed in the services file (default `policy/service-identities.toml`)
is a service identity, not a person: it may do exactly the operations listed for it
(`ServiceRequest.start`, `ServiceRequest.submit_materials`, ...) and nothing else. A person's
token may do any operation whose acting field names that person (cablecare/auth/acting.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceIdentity:
    name: str
    operations: frozenset[str]
    description: str = ""


def load_services(path: Path | None) -> dict[str, ServiceIdentity]:
    if path is None or not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    services: dict[str, ServiceIdentity] = {}
    for name, entry in data.get("service", {}).items():
        ops = entry.get("operations", [])
        if not isinstance(ops, list) or not all(isinstance(o, str) and "." in o for o in ops):
            raise ValueError(
                f"{path}: service {name}: operations must be a list of 'Workflow.operation'"
            )
        services[name] = ServiceIdentity(name, frozenset(ops), str(entry.get("description", "")))
    return services
