"""A run's state: planned → running → completed | failed | cancelled, its totals (summed over
its chunks), and its events.

Every chunk ends by locking the run's row: that serialises the few statements that decide
whether the run is complete and give its next event its aggregate version, and nothing else.
Row locks here are `FOR NO KEY UPDATE`: the foreign keys of a chunk's inserts take KEY SHARE
locks on the run's row, and a plain FOR UPDATE would deadlock two chunks against each other.
Chunks themselves never wait for each other's counters: each writes its own row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.storage.documents_tables import billing_run_chunks, billing_runs
from federa.shared.contracts.billing import (
    BILLING_RUN_COMPLETED,
    BILLING_RUN_PROGRESSED,
    BillingRunCompletedV1,
    BillingRunProgressedV1,
)
from federa.shared.contracts.registry import EventData, EventSpec
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

Row = dict[str, Any]
ACTIVE = ("planned", "running")
COUNTERS = (
    "charged",
    "free",
    "failed",
    "skipped",
    "credited",
    "documents",
    "credit_memos",
    "lines",
    "members",
    "amount",
    "credited_amount",
)


@dataclass(frozen=True)
class ChunkCounts:
    charged: int = 0
    free: int = 0
    failed: int = 0
    skipped: int = 0
    credited: int = 0
    documents: int = 0
    credit_memos: int = 0
    lines: int = 0
    members: int = 0
    amount: int = 0
    credited_amount: int = 0


@dataclass(frozen=True)
class RunTotals(ChunkCounts):
    chunks_done: int = 0
    chunks_skipped: int = 0
    chunks_queued: int = 0


async def run_totals(session: AsyncSession, run_id: uuid.UUID) -> RunTotals:
    c = billing_run_chunks.c
    row = (
        (
            await session.execute(
                select(
                    *(func.coalesce(func.sum(c[name]), 0).label(name) for name in COUNTERS),
                    func.count().filter(c.status == "done").label("chunks_done"),
                    func.count().filter(c.status == "skipped").label("chunks_skipped"),
                    func.count().filter(c.status == "queued").label("chunks_queued"),
                ).where(c.run_id == run_id)
            )
        )
        .mappings()
        .one()
    )
    return RunTotals(**{k: int(v) for k, v in row.items()})


async def record_run_event_in_tx(
    session: AsyncSession,
    spec: EventSpec[Any],
    data: EventData,
    *,
    tenant: str,
    run_id: uuid.UUID,
    version: int,
) -> None:
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(run_id),
            tenant=tenant,
            aggregate_version=version,
            correlation_id=str(run_id),
        ),
    )


def completed_data(run: Row, totals: RunTotals, outcome: str) -> BillingRunCompletedV1:
    return BillingRunCompletedV1(
        billing_run_id=run["id"],
        outcome=outcome,
        dry_run=run["dry_run"],
        subscriptions_selected=run["subscriptions_selected"],
        subscriptions_charged=totals.charged,
        subscriptions_failed=totals.failed,
        documents_issued=totals.documents,
        credit_memos_issued=totals.credit_memos,
        lines=totals.lines,
        members=totals.members,
        amount=totals.amount,
        currency=run["currency"],
    )


async def lock_run(session: AsyncSession, run_id: uuid.UUID) -> Row | None:
    row = (
        (
            await session.execute(
                select(billing_runs)
                .where(billing_runs.c.id == run_id)
                .with_for_update(key_share=True)
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def skip_queued_chunks(session: AsyncSession, run_id: uuid.UUID) -> None:
    """Chunks a worker holds are passed over (SKIP LOCKED): waiting for them while holding the
    run's row would deadlock with their own end, and they finish by themselves."""
    c = billing_run_chunks.c
    idle = (
        select(c.chunk_no)
        .where(c.run_id == run_id, c.status == "queued")
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(
        update(billing_run_chunks)
        .where(c.run_id == run_id, c.chunk_no.in_(idle))
        .values(status="skipped", processed_at=datetime.now(UTC))
    )


async def finish_chunk_in_tx(
    session: AsyncSession,
    run_id: uuid.UUID,
    chunk_no: int,
    counts: ChunkCounts,
    *,
    worker: str,
    failure: str | None = None,
) -> None:
    """Store the chunk's counts, then move the run on: running after its first chunk, failed
    on a stop-on-error failure (the chunks still queued are skipped), completed when no chunk
    is queued any more. Publishes `billing.run.progressed`, and `.completed` at the end."""
    now = datetime.now(UTC)
    await session.execute(
        update(billing_run_chunks)
        .where(billing_run_chunks.c.run_id == run_id, billing_run_chunks.c.chunk_no == chunk_no)
        .values(
            status="done",
            processed_by=worker,
            processed_at=now,
            **{name: getattr(counts, name) for name in COUNTERS},
        )
    )
    run = await lock_run(session, run_id)
    if run is None:
        raise LookupError(f"no billing run {run_id}")
    status, version = run["status"], run["version"]
    changes: dict[str, Any] = {}
    if status == "planned":
        status = "running"
        changes["started_at"] = now
    outcome: str | None = None
    if failure is not None and status in ACTIVE:
        status, outcome = "failed", "failed"
        changes.update(failure=failure, finished_at=now)
        await skip_queued_chunks(session, run_id)
    totals = await run_totals(session, run_id)
    if outcome is None and status in ACTIVE and totals.chunks_queued == 0:
        status, outcome = "completed", "completed"
        changes["finished_at"] = now
    version += 1
    await record_run_event_in_tx(
        session,
        BILLING_RUN_PROGRESSED,
        BillingRunProgressedV1(
            billing_run_id=run_id,
            chunk_no=chunk_no,
            chunks_done=totals.chunks_done,
            chunks_total=totals.chunks_done + totals.chunks_queued + totals.chunks_skipped,
            subscriptions_charged=totals.charged,
            subscriptions_failed=totals.failed,
            documents_issued=totals.documents,
            amount=totals.amount,
        ),
        tenant=run["tenant"],
        run_id=run_id,
        version=version,
    )
    if outcome is not None:
        version += 1
        await record_run_event_in_tx(
            session,
            BILLING_RUN_COMPLETED,
            completed_data(run, totals, outcome),
            tenant=run["tenant"],
            run_id=run_id,
            version=version,
        )
    await session.execute(
        update(billing_runs)
        .where(billing_runs.c.id == run_id)
        .values(status=status, version=version, **changes)
    )


async def cancel_run_in_tx(session: AsyncSession, run: Row) -> Row:
    """Stop a planned or running run: its queued chunks are skipped (a chunk a worker is
    processing finishes and commits); `billing.run.completed` says cancelled."""
    locked = await lock_run(session, run["id"])
    assert locked is not None
    if locked["status"] not in ACTIVE:
        return locked
    await skip_queued_chunks(session, run["id"])
    totals = await run_totals(session, run["id"])
    version = locked["version"] + 1
    await record_run_event_in_tx(
        session,
        BILLING_RUN_COMPLETED,
        completed_data(locked, totals, "cancelled"),
        tenant=locked["tenant"],
        run_id=run["id"],
        version=version,
    )
    now = datetime.now(UTC)
    await session.execute(
        update(billing_runs)
        .where(billing_runs.c.id == run["id"])
        .values(status="cancelled", version=version, finished_at=now)
    )
    return {**locked, "status": "cancelled", "version": version, "finished_at": now}
