"""The production path of docker-compose.yml (issue 2 item 12, issue 13 item 1).

CI has no Docker engine: the compose file is validated offline (`make compose-check`), its
structure is read here, the build context is computed the way Docker reads `.dockerignore`, and
`cablecare bootstrap` (what the bootstrap service runs) runs against a real Temporal server.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from cablecare import REPO_ROOT
from cablecare.cli.bootstrap import STEPS
from cablecare.devserver import list_search_attributes
from cablecare.schedules import DUTIES
from cablecare.search_attributes import ALL_KEYS

CABLECARE = str(Path(sys.executable).parent / "cablecare")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return data


def _waits_for(service: dict[str, Any]) -> dict[str, str]:
    return {name: dep["condition"] for name, dep in service.get("depends_on", {}).items()}


def test_compose_file_holds_no_password() -> None:
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    for line in compose.splitlines():
        if re.search(r"(PASSWORD|PWD)\s*:", line):
            assert "${POSTGRES_PASSWORD:?" in line, line


def test_compose_bootstrap_runs_every_step_in_order_before_the_workers() -> None:
    services = _compose()["services"]
    # Nothing starts before the secrets are checked; PostgreSQL waits for that.
    assert services["preflight"]["command"] == ["cablecare", "bootstrap", "--check-secrets-only"]
    assert _waits_for(services["postgresql"]) == {"preflight": "service_completed_successfully"}
    assert _waits_for(services["temporal-schema"]) == {"postgresql": "service_healthy"}
    assert _waits_for(services["temporal"]) == {"temporal-schema": "service_completed_successfully"}
    assert _waits_for(services["temporal-init"]) == {"temporal": "service_healthy"}
    # The bootstrap: every step of `cablecare bootstrap`, the directory from a mounted folder.
    bootstrap = services["bootstrap"]
    assert bootstrap["command"] == [
        "cablecare",
        "bootstrap",
        "--directory",
        "/directory/directory.json",
    ]
    assert _waits_for(bootstrap) == {
        "postgresql": "service_healthy",
        "temporal-init": "service_completed_successfully",
    }
    assert any(str(v).endswith(":/directory:ro") for v in bootstrap["volumes"])
    for name in ("preflight", "bootstrap", "worker", "codec-server"):
        service = services[name]
        assert service["environment"]["CABLECARE_CODEC_KEYS_FILE"] == "/run/secrets/codec_keys"
        assert "codec_keys" in service["secrets"], name
    # Issue 10: the workers act as their own service identity, a token read from a secret file.
    assert services["worker"]["secrets"] == ["codec_keys", "worker_token"]
    assert services["worker"]["environment"]["CABLECARE_TOKEN_FILE"] == "/run/secrets/worker_token"
    for name in ("worker", "codec-server"):
        assert _waits_for(services[name]) == {"bootstrap": "service_completed_successfully"}
    # The long-running services are health-checked, so that what waits on them can.
    for name in ("postgresql", "temporal", "worker", "codec-server"):
        assert "healthcheck" in services[name], name
    assert _compose()["secrets"]["codec_keys"]["file"].startswith("${CODEC_KEYS_FILE")


# --- the build context, as Docker computes it from .dockerignore -------------------------------
def _pattern(pattern: str) -> re.Pattern[str]:
    """moby/patternmatcher: `**` any path, `*` and `?` within one segment, `[...]` a class."""
    p = os.path.normpath(pattern.strip()).lstrip("/")
    out, i = "", 0
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
            continue
        if p.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = p.index("]", i)
            out += "[" + p[i + 1 : end].replace("!", "^", 1) + "]"
            i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + "$")


def _rules() -> list[tuple[bool, re.Pattern[str]]]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    rules = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, _pattern(line.removeprefix("!"))))
    return rules


def _excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Last matching rule wins; a rule matching a parent folder matches what is inside it."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, rule in rules:
        if any(rule.match(c) for c in candidates):
            excluded = not negated
    return excluded


def _context(root: Path, rules: list[tuple[bool, re.Pattern[str]]]) -> Iterator[str]:
    # Folders excluded outright are not entered (the one exception, example.env, is a file).
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirs[:] = [d for d in dirs if not _excluded(prefix + d, rules) or prefix + d == "deploy"]
        for name in files:
            if not _excluded(prefix + name, rules):
                yield prefix + name


SECRET_PATHS = [
    "deploy/secrets/codec-keys",
    "deploy/secrets/postgres-password",
    "deploy/directory/directory.json",
    ".env",
    ".env.production",
    "prod.env",
    "var/codec-keys",
    "var/temporal.db",
    "var/cablecare.db",
    "codec-keys",
    "deploy/tls/server.key",
    "deploy/tls/ca.pem",
    "examples/typescript-client/node_modules/@temporalio/client/index.js",
]
NEEDED_PATHS = [
    "pyproject.toml",
    "cablecare/__init__.py",
    "cablecare/cli/bootstrap.py",
    "workflows/service_request/workflow.py",
    "activities/db.py",
    "worker/build.py",
    "starter/service_request.py",
    "policy/sla-policy.toml",
    "migrations/env.py",
    "alembic.ini",
    "data/sample-directory.json",
]


def test_no_secret_can_enter_the_image_build_context(tmp_path: Path) -> None:
    rules = _rules()
    assert [p for p in SECRET_PATHS if not _excluded(p, rules)] == []
    assert [p for p in NEEDED_PATHS if _excluded(p, rules)] == []
    # The real tree, with secrets placed where an operator puts them (a copy: the repository's
    # own deploy/secrets/ is never touched).
    tree = tmp_path / "repo"
    for rel in [*NEEDED_PATHS, "deploy/example.env", ".dockerignore"]:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / rel, tree / rel)
    for rel in SECRET_PATHS:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text("k1:" + base64.b64encode(secrets.token_bytes(32)).decode())
    context = set(_context(tree, rules))
    assert context.isdisjoint(SECRET_PATHS)
    assert set(NEEDED_PATHS) <= context
    # And the repository as it is now, whatever lies around in it.
    leaked = [
        p
        for p in _context(REPO_ROOT, rules)
        if re.search(r"codec-keys|(^|/)\.env|\.(pem|key|db|sqlite)$", p)
        and p != "deploy/example.env"
    ]
    assert leaked == []


# --- cablecare bootstrap against a real server ----------------------------------------------------
def _bootstrap_env(address: str, database_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CABLECARE_", "TEMPORAL_"))}
    env.update(
        TEMPORAL_ADDRESS=address,
        TEMPORAL_NAMESPACE="default",
        DATABASE_URL=database_url,
        POSTGRES_PASSWORD=secrets.token_urlsafe(18),
        CABLECARE_CODEC_TOKEN=secrets.token_urlsafe(24),
        CABLECARE_CODEC_KEYS="k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    env.update(overrides)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CABLECARE, "bootstrap", *args], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize(
    "overrides, refusal",
    [
        ({"POSTGRES_PASSWORD": "change-me"}, "POSTGRES_PASSWORD still has the example value"),
        ({"CABLECARE_CODEC_TOKEN": "change-me"}, "CABLECARE_CODEC_TOKEN still has the example"),
        ({"CABLECARE_CODEC_KEYS": ""}, "no payload key"),
    ],
)
def test_bootstrap_refuses_the_example_secrets(
    tmp_path: Path, overrides: dict[str, str], refusal: str
) -> None:
    env = _bootstrap_env("127.0.0.1:1", f"sqlite:///{tmp_path / 'app.db'}", **overrides)
    result = _run(env, "--check-secrets-only")
    assert result.returncode == 2 and refusal in result.stderr
    assert "change-me" not in result.stderr.replace("example value", "")  # no value echoed
    result = _run(env)  # the full bootstrap refuses before touching anything
    assert result.returncode == 2 and not (tmp_path / "app.db").exists()


async def test_bootstrap_runs_every_step_on_a_bare_cluster_and_again_without_change(
    tmp_path: Path,
) -> None:
    from temporalio.client import Client

    # A bare server: no Cs* search attributes, no Schedules, an empty database.
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal", path=str(Path(sys.executable).parent)),
        dev_server_extra_args=["--log-level", "error"],
    ) as bare:
        address = bare.client.service_client.config.target_host
        db = tmp_path / "app.db"
        env = _bootstrap_env(address, f"sqlite:///{db}")
        directory = REPO_ROOT / "data" / "sample-directory.json"
        first = _run(env, "--directory", str(directory))
        assert first.returncode == 0, first.stderr + first.stdout
        done = [line.split(":")[0].removeprefix("bootstrap ") for line in first.stdout.splitlines()]
        assert done == [*STEPS, "done"]

        client = await Client.connect(address)
        attributes = await list_search_attributes(client)
        assert {k.name for k in ALL_KEYS} <= set(attributes)
        schedules = {s.id async for s in await client.list_schedules()}
        assert {d.schedule_id for d in DUTIES} <= schedules
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from alembic_version").fetchone() == (1,)
            assert conn.execute("select count(*) from subscriber").fetchone()[0] == 300

        again = _run(env, "--directory", str(directory))
        assert again.returncode == 0, again.stderr
        assert "search-attributes: all present" in again.stdout
        assert "0 rows new or changed" in again.stdout
        missing = _run(env, "--directory", str(tmp_path / "none.json"))
        assert missing.returncode == 0 and "skipped" in missing.stdout
