"""Members jobs run once from a shell or a scheduler (a Kubernetes CronJob, cron):

    python -m federa.members.cli promote-addresses [--on 2025-06-01] [--tenant demo]

Safe beside running services: the job locks with SKIP LOCKED, so it shares the work with the
nightly run in the service processes rather than doing it twice.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

import typer

from federa.members.alternative_addresses import PromotionRun, promote_due_addresses
from federa.shared.db import Database
from federa.shared.settings import Settings

app = typer.Typer(help="Members jobs.", no_args_is_help=True)


async def _promote(on: date, tenant: str | None) -> PromotionRun:
    db = Database(Settings(service="members").database_url, pool_size=2)
    try:
        return await promote_due_addresses(db, on, tenant)
    finally:
        await db.dispose()


@app.command("promote-addresses")
def promote_addresses(
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The day; today if left out.")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="One federation; all if left out.")] = None,
) -> None:
    """Make every alternative address due on the day the member's address."""
    run = asyncio.run(_promote(on.date() if on else date.today(), tenant))
    typer.echo(
        f"{run.on}: promoted {run.promoted} addresses of {run.members} members; "
        f"{len(run.failed)} failed"
    )
    if run.failed:
        raise typer.Exit(1)


# A command group, so further jobs join without changing how this one is called.
@app.callback()
def main() -> None:
    """Members jobs."""


if __name__ == "__main__":
    app()
