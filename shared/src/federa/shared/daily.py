"""A job every process runs at start (catching up on days missed while no replica ran) and
then shortly after each midnight. The jobs themselves are idempotent and share their work
between replicas (SKIP LOCKED), so every replica may run them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta

log = logging.getLogger(__name__)

DailyJob = Callable[[date], Awaitable[None]]


def seconds_until_next_run(now: datetime, hour: int = 0, minute: int = 5) -> float:
    """Seconds from `now` to the next `hour:minute` of its wall clock."""
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


async def _run_daily(name: str, job: DailyJob) -> None:
    while True:
        try:
            await job(date.today())
        except Exception:
            log.exception("the daily job %s failed; the next run catches up", name)
        await asyncio.sleep(seconds_until_next_run(datetime.now()))


@contextlib.asynccontextmanager
async def daily(name: str, job: DailyJob) -> AsyncIterator[None]:
    """Run `job` daily while the context is open (a service's lifespan)."""
    task = asyncio.create_task(_run_daily(name, job), name=name)
    try:
        yield
    finally:
        task.cancel()
        # Bounded: shutdown must not hang on a run stuck in the database; its transaction
        # rolls back with the connection either way.
        await asyncio.wait({task}, timeout=10)
