"""Billing jobs run once from a shell or a scheduler (a Kubernetes CronJob, cron):

    python -m federa.billing.cli publish-stops [--on 2025-06-01] [--tenant demo]

Safe beside running services: the job locks with SKIP LOCKED, so it shares the work with the
nightly run in the service processes rather than doing it twice.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

import typer

from federa.billing.subscriptions.scheduled_stops import StopRun, publish_due_stops
from federa.shared.db import Database
from federa.shared.settings import Settings

app = typer.Typer(help="Billing jobs.", no_args_is_help=True)


async def _publish(on: date, tenant: str | None) -> StopRun:
    db = Database(Settings(service="billing").database_url, pool_size=2)
    try:
        return await publish_due_stops(db, on, tenant)
    finally:
        await db.dispose()


@app.command("publish-stops")
def publish_stops(
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The day; today if left out.")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="One federation; all if left out.")] = None,
) -> None:
    """Publish `stopped` for every scheduled stop dated the day or earlier."""
    run = asyncio.run(_publish(on.date() if on else date.today(), tenant))
    typer.echo(f"{run.on}: published {run.published} stops; {len(run.failed)} failed")
    if run.failed:
        raise typer.Exit(1)


# A command group, so further jobs join without changing how this one is called.
@app.callback()
def main() -> None:
    """Billing jobs."""


if __name__ == "__main__":
    app()
