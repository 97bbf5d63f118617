"""Issue 13.5 in the CLI: filters checked against the directory or their enum, callback results
shown as they are, a recorded callback not overwritten, another company's agent refused with
the real reason. SQLite only: these are command-line checks over the same queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from activities.duty_tables import KeyAccountCallback
from cablecare import REPO_ROOT
from cablecare.cli import app
from cablecare.settings import get_settings

TASKS = {  # subscriber -> area; SUB-000001 is a city key account (A-HF-01)
    "2026-11/SUB-000001": "A-HF-01",
    "2026-11/SUB-000002": "A-HF-01",
    "2026-11/SUB-000003": "A-HF-01",
    "2026-11/SUB-000004": "A-HF-01",
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    init_db(url)
    load_directory_file(url, REPO_ROOT / "data" / "sample-directory.json")
    with SessionFactory(url)() as session:
        for task_id, area in TASKS.items():
            session.add(
                KeyAccountCallback(
                    task_id=task_id,
                    period="2026-11",
                    subscriber_id=task_id.split("/")[1],
                    area_id=area,
                    assigned_to="CB-HF-1",
                    due_on=date(2026, 11, 30),
                    created_at=datetime(2026, 11, 1, tzinfo=UTC),
                    state="open",
                    problem_found=False,
                    note="",
                )
            )
        session.commit()
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _record(cli: CliRunner, task: str, agent: str, *flags: str) -> tuple[int, str]:
    result = cli.invoke(app, ["callbacks", "record", task, "--agent", agent, *flags])
    return result.exit_code, result.stderr


def test_13_5_callbacks_list_shows_reached_satisfied_and_unknown_distinctly(
    cli: CliRunner,
) -> None:
    ids = list(TASKS)
    assert _record(cli, ids[0], "CB-HF-1", "--reached", "--satisfied")[0] == 0
    assert _record(cli, ids[1], "CB-HF-1", "--reached", "--not-satisfied")[0] == 0
    assert _record(cli, ids[2], "CB-HF-1", "--reached")[0] == 0
    assert _record(cli, ids[3], "CB-HF-1", "--not-reached")[0] == 0
    table = cli.invoke(app, ["callbacks", "list", "--period", "2026-11"]).stdout
    lines = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert lines[ids[0]].rstrip().endswith("reached, satisfied")
    assert lines[ids[1]].rstrip().endswith("reached, not satisfied")
    assert lines[ids[2]].rstrip().endswith("reached, satisfaction unknown")
    assert lines[ids[3]].rstrip().endswith("not reached")


def test_13_5_a_second_record_of_the_same_callback_is_refused_naming_who_and_when(
    cli: CliRunner,
) -> None:
    task = list(TASKS)[0]
    assert _record(cli, task, "CB-HF-1", "--reached", "--satisfied")[0] == 0
    # The same result again is a retry: accepted, nothing changes.
    assert _record(cli, task, "CB-HF-1", "--reached", "--satisfied")[0] == 0
    code, err = _record(cli, task, "CB-HF-1", "--reached", "--not-satisfied")
    assert code == 1 and "already recorded by CB-HF-1 at 20" in err
    listed = json.loads(cli.invoke(app, ["callbacks", "list", "--json"]).stdout)
    assert next(t for t in listed if t["task_id"] == task)["satisfied"] is True


def test_13_5_an_agent_of_the_other_company_is_refused_with_the_real_reason(
    cli: CliRunner,
) -> None:
    code, err = _record(cli, list(TASKS)[0], "CB-FD-1", "--reached", "--satisfied")
    assert code == 1
    assert "works for the county company" in err and "city company" in err
    assert "certified" not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["callbacks", "list", "--period", "2026-13"], "is not a month"),
        (["callbacks", "list", "--period", "last"], "is not a month"),
        (["escalations", "--kind", "breech"], "breech"),
        (["escalations", "--area", "A-NOPE-01"], "not in the directory"),
        (["cases", "--area", "A-NOPE-01"], "not in the directory"),
        (["cases", "--kind", "teleport"], "teleport"),
    ],
)
def test_13_5_every_cli_filter_is_checked_against_the_directory_or_its_enum(
    cli: CliRunner, args: list[str], words: str
) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code != 0
    assert words in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_9_5_dev_banner_starts_a_case_with_the_flags_that_make_a_retry_safe(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from types import SimpleNamespace

    from cablecare.cli.dev import _print_banner
    from cablecare.settings import Settings

    server = SimpleNamespace(
        port=17301,
        address="127.0.0.1:17301",
        ui_url="http://127.0.0.1:17302",
        db_path=tmp_path / "temporal.db",
        log_path=tmp_path / "temporal.log",
    )
    codec_server = SimpleNamespace(url="http://127.0.0.1:17303", token="t")
    _print_banner(
        server,  # type: ignore[arg-type]
        Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}"),
        codec_server,  # type: ignore[arg-type]
        str(tmp_path / "codec-keys"),
    )
    start = next(line for line in capsys.readouterr().out.splitlines() if "workflow start" in line)
    assert "--id-conflict-policy UseExisting" in start
    assert "--id-reuse-policy RejectDuplicate" in start
