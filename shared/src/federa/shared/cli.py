"""The `federa` command: development tokens, dead letters, contracts, running the platform."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from federa.shared.auth import ALL_ORGANISATIONS, Role, mint_dev_token
from federa.shared.messaging.deadletters import list_dead_letters, replay_dead_letters
from federa.shared.messaging.topology import BusNames
from federa.shared.settings import SERVICE_PORTS, Settings

app = typer.Typer(help="Federa operations and development commands.", no_args_is_help=True)
dlq = typer.Typer(help="A service's dead-letter queue: list and replay.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")


def _service(name: str) -> str:
    if name not in SERVICE_PORTS:
        raise typer.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICE_PORTS)}")
    return name


@app.command()
def token(
    role: Annotated[list[Role] | None, typer.Option(help="Role(s); superuser if none.")] = None,
    tenant: Annotated[str, typer.Option(help="The federation the caller belongs to.")] = "demo",
    org: Annotated[
        list[str] | None, typer.Option(help="Organisation ids in scope; all if none.")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="The caller's user id.")] = None,
    hours: Annotated[int, typer.Option(help="Validity in hours.")] = 12,
) -> None:
    """Print a development bearer token that the locally running platform accepts."""
    settings = Settings()
    typer.echo(
        mint_dev_token(
            settings,
            roles=role or [Role.SUPERUSER],
            tenant=tenant,
            subject=subject,
            organisations=org or [ALL_ORGANISATIONS],
            ttl_seconds=hours * 3600,
        )
    )


@dlq.command("list")
def dlq_list(
    service: Annotated[str, typer.Argument(callback=_service)],
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the dead letters of SERVICE (they stay in the queue)."""
    settings = Settings()
    letters = asyncio.run(
        list_dead_letters(settings.amqp_url, BusNames(settings.namespace), service, limit=limit)
    )
    if as_json:
        typer.echo(json.dumps([letter.__dict__ for letter in letters], default=str, indent=2))
        return
    if not letters:
        typer.echo(f"no dead letters for {service}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("message id", "type", "reason", "deaths", "origin queue", "time")
    for letter in letters:
        table.add_row(
            letter.message_id or "",
            letter.event_type or "",
            letter.reason or "",
            str(letter.deaths),
            letter.origin_queue or "",
            str(letter.timestamp or ""),
        )
    Console().print(table)


@dlq.command("replay")
def dlq_replay(
    service: Annotated[str, typer.Argument(callback=_service)],
    message_id: Annotated[
        list[str] | None, typer.Option("--id", help="Replay only these message ids.")
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
) -> None:
    """Put dead letters of SERVICE back on the queue they died in."""
    if not message_id and not replay_all:
        raise typer.BadParameter("name messages with --id, or pass --all")
    settings = Settings()
    replayed = asyncio.run(
        replay_dead_letters(
            settings.amqp_url,
            BusNames(settings.namespace),
            service,
            message_ids=None if replay_all else set(message_id or []),
        )
    )
    typer.echo(f"replayed {len(replayed)} message(s) to {service}")


@app.command()
def contracts(
    check: Annotated[bool, typer.Option(help="Fail if the checked-in files are stale.")] = False,
    out: Annotated[Path, typer.Option(help="Where the contract files live.")] = Path(
        "docs/contracts"
    ),
) -> None:
    """Generate the AsyncAPI document and the JSON Schema of every event."""
    from federa.shared.contracts.artifacts import render, stale_files, write

    files = render()
    if check:
        stale = stale_files(files, out)
        if stale:
            typer.echo("stale contract files (run `make contracts`): " + ", ".join(stale))
            raise typer.Exit(1)
        typer.echo("contracts are up to date")
        return
    write(files, out)
    typer.echo(f"wrote {len(files)} files to {out}")


@app.command()
def up(
    service: Annotated[list[str] | None, typer.Argument(help="Only these services.")] = None,
) -> None:
    """Run the platform: every service as its own process, logs interleaved."""
    from federa.shared.launcher import up as run_up

    for name in service or []:
        _service(name)
    raise typer.Exit(run_up(service))


def main() -> None:
    app()
