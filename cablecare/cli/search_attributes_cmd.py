"""`cablecare search-attributes apply`: docs/contract.md's Cs* attributes on a real cluster."""

from __future__ import annotations

import asyncio
import json

import structlog
import typer

from cablecare.logging import configure_logging

log = structlog.get_logger(__name__)

app = typer.Typer(help="The custom search attributes (CsKind, CsState, ...).", no_args_is_help=True)


@app.command("apply")
def apply(
    address: str | None = typer.Option(
        None, help="Temporal frontend; default TEMPORAL_ADDRESS or localhost:7233."
    ),
    namespace: str | None = typer.Option(None, help="Default TEMPORAL_NAMESPACE or `default`."),
) -> None:
    """Create the missing Cs* attributes in the namespace (idempotent; operator permission).

    Prints {"namespace": ..., "created": [...], "present": [...]} as JSON.
    """
    from cablecare.client import connect
    from cablecare.search_attributes import ALL_KEYS, apply_search_attributes

    # A one-shot command: no forwarding of the SDK core's log lines. That forwarding calls into
    # Python from the core's threads, which crashed this short-lived process at interpreter
    # exit now and then ("PyGILState_Release", exit -6) after its work was done.
    configure_logging("WARNING", temporal_core=False)

    async def run() -> tuple[str, list[str]]:
        overrides = {"namespace": namespace} if namespace else {}
        client = await connect(address, codec=None, **overrides)
        return client.namespace, await apply_search_attributes(client)

    try:
        ns, created = asyncio.run(run())
    except Exception as error:
        typer.echo(f"search attributes not applied: {error}", err=True)
        raise typer.Exit(1) from error
    present = sorted(k.name for k in ALL_KEYS if k.name not in created)
    typer.echo(json.dumps({"namespace": ns, "created": created, "present": present}))
