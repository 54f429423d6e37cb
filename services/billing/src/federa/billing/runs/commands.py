"""Commands on a run after it was planned: cancel it, re-run its failed subscriptions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.runs.planning import DEFAULT_CHUNK_SIZE
from federa.billing.runs.queries import load_run
from federa.billing.runs.state import cancel_run_in_tx, lock_run
from federa.billing.runs.work import queue_chunks_in_tx
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import (
    billing_run_chunks,
    billing_run_errors,
    billing_runs,
)
from federa.shared.http.problems import Problem

Row = dict[str, Any]


async def cancel_in_tx(session: AsyncSession, scope: Scope, run_id: uuid.UUID) -> Row:
    """A run that already ended is refused (409); cancelling a cancelled one is a no-op."""
    run = await load_run(session, scope, run_id)
    if run["status"] == "cancelled":
        return run
    if run["status"] not in ("planned", "running"):
        raise Problem(
            409, "billing-run-ended", "Refused in the current state", f"The run is {run['status']}."
        )
    return await cancel_run_in_tx(session, run)


async def retry_failed_in_tx(
    session: AsyncSession, scope: Scope, run_id: uuid.UUID, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Queue the run's failed subscriptions again as new chunks of the same run (rule 30:
    "failed subscriptions get no charge and must be re-run"). The errors are marked retried;
    a subscription that fails again gets a new error. Returns how many were queued."""
    await load_run(session, scope, run_id)
    run = await lock_run(session, run_id)
    assert run is not None
    if run["status"] in ("planned", "running"):
        raise Problem(
            409,
            "billing-run-active",
            "Refused in the current state",
            "The run is still running; retry its failures when it has ended.",
        )
    if run["status"] == "cancelled":
        raise Problem(
            409, "billing-run-ended", "Refused in the current state", "The run was cancelled."
        )
    e = billing_run_errors.c
    failed = list(
        dict.fromkeys(
            (
                await session.execute(
                    select(e.subscription_id)
                    .where(e.run_id == run_id, e.retried_at.is_(None))
                    .order_by(e.id)
                )
            ).scalars()
        )
    )
    if not failed:
        raise Problem(
            409, "nothing-to-retry", "Refused in the current state", "The run has no failures."
        )
    now = datetime.now(UTC)
    await session.execute(
        update(billing_run_errors)
        .where(e.run_id == run_id, e.retried_at.is_(None))
        .values(retried_at=now)
    )
    last = (
        await session.execute(
            select(func.max(billing_run_chunks.c.chunk_no)).where(
                billing_run_chunks.c.run_id == run_id
            )
        )
    ).scalar_one()
    chunks = [failed[i : i + chunk_size] for i in range(0, len(failed), chunk_size)]
    numbers = list(range(last + 1, last + 1 + len(chunks)))
    await session.execute(
        insert(billing_run_chunks),
        [
            {
                "run_id": run_id,
                "chunk_no": no,
                "status": "queued",
                "subscription_ids": ids,
                "retry": True,
            }
            for no, ids in zip(numbers, chunks, strict=True)
        ],
    )
    # The run runs again until these chunks are done; a stop-on-error failure is forgiven.
    await session.execute(
        update(billing_runs)
        .where(billing_runs.c.id == run_id)
        .values(
            status="running",
            chunks_total=billing_runs.c.chunks_total + len(chunks),
            failure=None,
            finished_at=None,
        )
    )
    await queue_chunks_in_tx(session, run["tenant"], run_id, numbers)
    return len(failed)
