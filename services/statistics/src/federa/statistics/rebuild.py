"""Rebuild the read models from the event archive:

    python -m federa.statistics.rebuild [--tenant demo] [--batch 1000]

Empties every read model (of one tenant, or all) and replays the archived envelopes in the
order they arrived through the same projectors the consumer uses, `--batch` events per
transaction. Within a batch the subscription refolds are deferred: each subscription the
batch touches is folded once, at the end of the batch, all of them in one read and one write
(the fold reads the whole archive anyway, so folding once after the batch's charges are in
gives the row folding after every event would have ended with). Each refolded subscription
holds an advisory lock until its transaction ends, and the server's lock table is shared, so
batches stay at a thousand or so. The settings entered in
statistics (membership flags, influenceable reasons) are kept. Every projector is idempotent,
so events the running consumer applies meanwhile are not counted twice; for a quiet rebuild,
stop the service's consumers first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy import delete, func, select, text

from federa.shared.contracts import REGISTRY
from federa.shared.db import Database
from federa.shared.envelope import CloudEvent
from federa.shared.settings import Settings
from federa.statistics.bus.handlers import project_in_tx
from federa.statistics.projections.subscriptions import defer_refreshes, flush_refreshes_in_tx
from federa.statistics.storage.tables import READ_MODELS, event_archive
from federa.statistics.storage.writes import buffer_writes, flush_writes_in_tx

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RebuildResult:
    events: int
    seconds: float


async def rebuild(
    db: Database, *, tenant: str | None = None, batch: int = 1000, progress: Progress | None = None
) -> RebuildResult:
    started = time.monotonic()
    async with db.transaction() as session:
        if tenant is None:
            names = ", ".join(t.name for t in READ_MODELS)
            await session.execute(text(f"TRUNCATE {names}"))
        else:
            for table in READ_MODELS:
                await session.execute(delete(table).where(table.c.tenant == tenant))
    where = [] if tenant is None else [event_archive.c.tenant == tenant]
    async with db.sessions() as session:
        total = (
            await session.execute(select(func.count()).select_from(event_archive).where(*where))
        ).scalar_one()
    done, last_seq = 0, 0
    while True:
        async with db.transaction() as session:
            defer_refreshes(session)
            buffer_writes(session)
            rows = list(
                await session.execute(
                    select(event_archive.c.seq, event_archive.c.envelope)
                    .where(*where, event_archive.c.seq > last_seq)
                    .order_by(event_archive.c.seq)
                    .limit(batch)
                )
            )
            for row in rows:
                event = CloudEvent.model_validate(row.envelope)
                spec = REGISTRY.get(event.type)
                if spec is not None:
                    await project_in_tx(session, event, spec.parse(event.data))
            # The refold reads the charges and documents the buffered writes hold.
            await flush_writes_in_tx(session)
            await flush_refreshes_in_tx(session)
        if not rows:
            break
        last_seq = rows[-1].seq
        done += len(rows)
        if progress is not None:
            progress(done, int(total))
    return RebuildResult(done, time.monotonic() - started)


app = typer.Typer(help="Statistics maintenance.", add_completion=False)


@app.command()
def main(
    tenant: Annotated[str | None, typer.Option(help="One federation; all if left out.")] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Events per transaction.")] = 1000,
) -> None:
    """Empty the read models and replay them from the event archive, with progress."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    settings = Settings(service="statistics")

    async def run() -> RebuildResult:
        db = Database(settings.database_url, pool_size=2)
        try:
            with Progress(
                TextColumn("replaying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ) as bar:
                task = bar.add_task("replay", total=None)
                return await rebuild(
                    db,
                    tenant=tenant,
                    batch=batch,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        finally:
            await db.dispose()

    result = asyncio.run(run())
    rate = result.events / result.seconds if result.seconds else 0.0
    typer.echo(f"replayed {result.events:,} events in {result.seconds:.1f} s ({rate:,.0f}/s)")


if __name__ == "__main__":
    app()
