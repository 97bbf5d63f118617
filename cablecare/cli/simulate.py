"""`cablecare simulate`: a month of the service under a policy, in a minute (issue 14).

    cablecare simulate --month 2026-11 [--policy FILE] [--workload FILE] [--seed N]
                       [--engine fast|real] [--workers N] [--out DIR]
    cablecare simulate compare --policy A.toml --policy B.toml [--seeds 5]
    cablecare simulate compare --workload A.toml --workload B.toml
    cablecare simulate compare --add-technician A-HF-03
    cablecare simulate fit --months 2026-09..2026-11 [--output workload.toml]

Outputs go to `--out` (default var/simulate/): JSON, CSV and a self-contained HTML page.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from cablecare import REPO_ROOT
from cablecare.policy import PolicyError
from cablecare.settings import get_settings
from cablecare.simulate.compare import compare as run_compare
from cablecare.simulate.render import compare_html, month_html
from cablecare.simulate.report import MonthReport, to_csv, to_json
from cablecare.simulate.run import DEFAULT_POLICY, Scenario, simulate_fast
from cablecare.simulate.workload import WorkloadError, load_workload, to_toml

app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
DEFAULT_OUT = REPO_ROOT / "var" / "simulate"


class Engine(StrEnum):
    FAST = "fast"
    REAL = "real"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


@contextmanager
def _bar(what: str) -> Iterator[Callable[[float], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(what, total=1.0)
        yield lambda done: progress.update(task, completed=done)


def _scenario(workload: Path | None, policy: Path | None, directory: Path | None) -> Scenario:
    try:
        return Scenario.load(workload, policy, directory)
    except (WorkloadError, PolicyError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from None


def write_month(report: MonthReport, out: Path) -> list[Path]:
    m = report.meta
    stem = f"simulate-{m['month']}-{m['engine']}-seed{m['seed']}"
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for suffix, text in (("json", to_json(report)), ("csv", to_csv(report)),
                         ("html", month_html(report))):  # fmt: skip
        path = out / f"{stem}.{suffix}"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


@app.callback()
def simulate(
    ctx: typer.Context,
    month: str = typer.Option("2026-11", help="The month to simulate, e.g. 2026-11."),
    policy: Path | None = typer.Option(None, help="SLA policy file (default: the live one)."),
    workload: Path | None = typer.Option(None, help="Workload file (default: built-in)."),
    directory: Path | None = typer.Option(None, help="Directory JSON (default: sample)."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same month."),
    engine: Engine = typer.Option(Engine.FAST, help="fast (in-process) or real (workflows)."),
    out: Path = typer.Option(DEFAULT_OUT, help="Directory for the JSON, CSV and HTML."),
    workers: int = typer.Option(
        1, min=1, max=64, help="fast engine: processes (groups of areas); same result."
    ),
    database_url: str | None = typer.Option(
        None, help="real engine: database for the case records (default: a new SQLite in --out)."
    ),
) -> None:
    """Simulate a month of the service under a policy (issue 14). Subcommands: compare, fit."""
    if ctx.invoked_subcommand is not None:
        return
    scenario = _scenario(workload, policy, directory)
    try:
        if engine == Engine.FAST:
            with _bar(f"simulating {month} (fast)") as progress:
                report, _, _ = simulate_fast(
                    scenario, month, seed, progress=progress, workers=workers
                )
        else:
            from cablecare.simulate.real import simulate_real

            out.mkdir(parents=True, exist_ok=True)
            url = database_url or f"sqlite:///{out / f'simulate-{month}-real-seed{seed}.db'}"
            with _bar(f"simulating {month} (real workflows)") as progress:
                report = asyncio.run(
                    simulate_real(scenario, month, seed, database_url=url, progress=progress)
                )
            typer.echo(f"case records in {url}", err=True)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    for path in write_month(report, out):
        typer.echo(str(path))
    t = report.figure().row()
    typer.echo(
        f"{report.meta['requests']:,} requests: breach rate {t['breach_rate']}, "
        f"{t['escalations']:,} escalations, {t['accountability_opened']:,} accountability cases",
        err=True,
    )


@app.command()
def compare(
    policy: list[Path] = typer.Option([], help="Policy files to compare (give two or more)."),
    workload: list[Path] = typer.Option([], help="Workload files to compare."),
    add_technician: str | None = typer.Option(
        None, help="Compare the workload with one more technician in this area."
    ),
    month: str = typer.Option("2026-11"),
    seeds: int = typer.Option(5, min=1, max=50, help="Months per variant (seeds 1..N)."),
    directory: Path | None = typer.Option(None),
    out: Path = typer.Option(DEFAULT_OUT),
) -> None:
    """What-if: the same customers under each policy or workload, with 95% intervals."""
    variants: list[tuple[str, Scenario]] = []
    if len(policy) >= 2:
        w = workload[0] if workload else None
        variants = [(p.stem, _scenario(w, p, directory)) for p in policy]
    elif len(workload) >= 2:
        p = policy[0] if policy else None
        variants = [(w.stem, _scenario(w, p, directory)) for w in workload]
    elif add_technician:
        base = _scenario(workload[0] if workload else None, policy[0] if policy else None,
                         directory)  # fmt: skip
        area = base.directory.areas.get(add_technician)
        if area is None:
            raise _fail(f"unknown area {add_technician}: not in the directory")
        staffing = base.workload.technicians.areas.get(add_technician)
        now = staffing.count if staffing and staffing.count is not None else len(area.technicians)
        more = Scenario(base.workload.with_technicians(add_technician, now + 1),
                        base.policy_path, base.directory)  # fmt: skip
        variants = [(f"{now} technicians in {add_technician}", base),
                    (f"{now + 1} technicians in {add_technician}", more)]  # fmt: skip
    else:
        raise _fail("give two --policy files, two --workload files, or --add-technician AREA")
    seed_list = list(range(1, seeds + 1))
    with _bar(f"comparing {len(variants)} variants x {seeds} months") as progress:
        result = run_compare(variants, month, seed_list, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"compare-{month}-{'-vs-'.join(label for label, _ in variants)}".replace(" ", "_")
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(compare_html(result), encoding="utf-8")
    typer.echo(str(json_path))
    typer.echo(str(html_path))
    for m in result["metrics"]:
        if m["area_id"] == "ALL":
            vals = "  ".join(f"{v['mean']}" for v in m["values"])
            d = m["difference"]
            typer.echo(f"{m['name']:>24}: {vals}   diff {d['mean']} [{d['low']}, {d['high']}]")


@app.command()
def fit(
    months: str = typer.Option(..., help="Months of history, e.g. 2026-09..2026-11."),
    workload: Path | None = typer.Option(None, help="Base for what records cannot tell."),
    database_url: str | None = typer.Option(None, help="Default: DATABASE_URL."),
    output: Path | None = typer.Option(None, help="Write the workload here (default: stdout)."),
) -> None:
    """Estimate a workload file from the application database's case records."""
    from cablecare.simulate.fit import fit_workload

    try:
        base = load_workload(workload)
        fitted, which = fit_workload(base, database_url or get_settings().database_url, months)
    except (WorkloadError, ValueError) as exc:
        raise _fail(str(exc)) from None
    text = to_toml(fitted)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"workload written to {output}", err=True)
    typer.echo(f"estimated from the records: {', '.join(which)}", err=True)


__all__ = ["app", "DEFAULT_POLICY"]
