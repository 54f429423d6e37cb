"""The outbox relay: publishes committed events with publisher confirms, in aggregate order.

Several replicas may relay at once. Each pass claims a batch of pending rows with
`FOR UPDATE SKIP LOCKED`, drops from it every row that has an older pending row of its
aggregate outside the batch (one another relay holds, or one a failed pass gave back), and
takes an advisory lock per bucket of aggregates (a hash of the key, `LOCK_BUCKETS` of them) for
the rest, so events of one aggregate leave in commit order. The whole batch is published at
once, with its confirms in flight together; one aggregate's rows go one after another, each
after the previous one's confirm. A row is marked published only after the broker confirmed
it; a crash between confirm and mark publishes the row again, which consumers' inboxes absorb.

Each message carries the trace context of the transaction that wrote its row, so a consumer
continues the trace of the request that caused the event. Given a tracer provider, the relay
traces each pass's publishing as one PRODUCER span linked to every message's context (the
OpenTelemetry messaging convention for a batch send: the per-message "create" was the writing
transaction's span); a span per message cost as much CPU as a third of the relay. It publishes
on the broker's channel through aio-pika directly: FastStream's telemetry and metrics
middlewares cost about as much CPU per event as the publish itself, its publish layer another
tenth, and the relay is what every event of a busy service waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange
from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags, TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from federa.shared.envelope import CONTENT_TYPE
from federa.shared.messaging.outbox import NOTIFY_CHANNEL
from federa.shared.messaging.topology import BusNames

log = logging.getLogger(__name__)

# How many advisory locks a pass may take at most: one per bucket of aggregate keys. One per key
# put a lock per row of a large batch into the server's lock table, which every database on it
# shares (64 x max_connections slots); an earlier benchmark ran it out of shared memory.
LOCK_BUCKETS = 1024

# Plain `ORDER BY id LIMIT` on the pending index: a plan that does not depend on statistics.
_CLAIM = text(
    """
    SELECT id, event_id, event_type, exchange, routing_key, aggregate_key,
           payload::text AS payload, headers, created_at
    FROM outbox
    WHERE published_at IS NULL
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)
# The batch's aggregates that have an older pending row outside the batch. Asked separately,
# with the batch's keys and ids as values: written as a correlated NOT EXISTS inside the claim,
# the planner (believing, from statistics taken while the outbox was drained, that hardly any
# row is pending) scanned every pending row for every batch row, which under a backlog of a
# billing run's 10,000 events took a second of database CPU per claim. Either index it can
# choose here is bounded by the batch (its keys, or the ids up to its newest row). Its snapshot
# is later than the claim's: a row it no longer sees pending was published, after its confirm,
# meanwhile; one it sees newly (committed since) only holds more back.
_BLOCKED = text(
    """
    SELECT aggregate_key, min(id) AS first_id
    FROM outbox
    WHERE published_at IS NULL
      AND aggregate_key = ANY(CAST(:keys AS text[]))
      AND id < :newest
      AND id <> ALL(CAST(:ids AS bigint[]))
    GROUP BY aggregate_key
    """
)
# Returns the buckets another relay holds; the ones it does not are now this transaction's.
_LOCK_BUCKETS = text(
    """
    SELECT bucket FROM unnest(CAST(:buckets AS integer[])) AS bucket
    WHERE NOT pg_try_advisory_xact_lock(hashtext('federa.outbox'), bucket)
    """
)
_MARK_SENT = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")
_MARK_FAILED = text(
    "UPDATE outbox SET attempts = attempts + 1, last_error = :error WHERE id = ANY(:ids)"
)
_BACKLOG = text("SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL")
_PURGE = text("DELETE FROM outbox WHERE published_at < now() - make_interval(days => :days)")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_id: str
    event_type: str
    exchange: str
    routing_key: str
    aggregate_key: str
    payload: str
    headers: Mapping[str, str]
    created_at: datetime

    @property
    def bucket(self) -> int:
        return lock_bucket(self.aggregate_key)


def lock_bucket(aggregate_key: str) -> int:
    """The advisory lock bucket of an aggregate: stable across processes and versions (CRC32,
    not Python's salted `hash`)."""
    return zlib.crc32(aggregate_key.encode()) % LOCK_BUCKETS


def _link_of(headers: Mapping[str, str]) -> Link | None:
    """A link to the context in a row's `traceparent` (W3C: version-trace-span-flags), read
    without the propagator machinery, which cost more than the link itself."""
    parts = headers.get("traceparent", "").split("-")
    if len(parts) != 4:
        return None
    try:
        context = SpanContext(
            trace_id=int(parts[1], 16),
            span_id=int(parts[2], 16),
            is_remote=True,
            trace_flags=TraceFlags(int(parts[3], 16)),
        )
    except ValueError:
        return None
    return Link(context) if context.is_valid else None


@dataclass
class RelayStats:
    published: int = 0
    failed: int = 0
    pending: int = 0
    oldest_pending_age_seconds: float = 0.0


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: RabbitBroker,
        names: BusNames,
        *,
        listen_dsn: str | None = None,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        retention_days: int = 7,
        publish_timeout: float = 10.0,
        tracer_provider: TracerProvider | None = None,
        app_id: str | None = None,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._names = names
        self._listen_dsn = listen_dsn
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._retention_days = retention_days
        self._publish_timeout = publish_timeout
        self._tracer = (
            None if tracer_provider is None else tracer_provider.get_tracer("federa.outbox.relay")
        )
        # The logical exchanges an outbox row names, resolved once for this namespace.
        self._exchanges = {
            logical: RabbitExchange(names.exchange(logical), type=ExchangeType.TOPIC, declare=False)
            for logical in ("events", "commands")
        }
        self._app_id = app_id if app_id is not None else broker.config.app_id
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.stats = RelayStats()

    def wake(self) -> None:
        """Called after a local commit that wrote events: publish now, not at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        await self._ensure_listener()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def _ensure_listener(self) -> None:
        """(Re)connect the LISTEN connection, e.g. after a database restart closed it."""
        if not self._listen_dsn or (self._listener is not None and not self._listener.is_closed()):
            return
        try:
            self._listener = await asyncpg.connect(self._listen_dsn, timeout=5)
            await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            # Polling still delivers; the notification only lowers latency.
            log.warning("outbox relay listens without NOTIFY for now: %s", exc)
            self._listener = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _run(self) -> None:
        passes = 0
        while True:
            self._wake.clear()
            try:
                await self._ensure_listener()
                sent = await self.relay_once()
                passes += 1
                if passes % 600 == 0:
                    await self.purge_published()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                sent = 0
                await asyncio.sleep(self._poll_seconds)
            if sent:
                # More may be waiting even after a short batch: with several relays sharing
                # a backlog each pass gets only the rows the others have not locked, and
                # waiting for the next poll then idled every relay between passes.
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    async def relay_once(self) -> int:
        """One pass: claim, publish, mark. Returns how many rows were published."""
        async with self._engine.begin() as conn:
            result = await conn.execute(_CLAIM, {"limit": self._batch_size})
            rows = await self._publishable(conn, [OutboxRow(**dict(r)) for r in result.mappings()])
            if not rows:
                return 0
            exchanges = {
                logical: await self._broker.declare_exchange(self._exchanges[logical])
                for logical in {row.exchange for row in rows}
            }
            by_aggregate: dict[str, list[OutboxRow]] = defaultdict(list)
            for row in rows:
                by_aggregate[row.aggregate_key].append(row)
            outcomes = await self._publish_batch(rows, by_aggregate, exchanges)
            sent = [row_id for ok, _, _ in outcomes for row_id in ok]
            failed = [row_id for _, bad, _ in outcomes for row_id in bad]
            if sent:
                await conn.execute(_MARK_SENT, {"ids": sent})
            if failed:
                error = next(err for _, bad, err in outcomes if bad)
                await conn.execute(_MARK_FAILED, {"ids": failed, "error": error})
        self.stats.published += len(sent)
        self.stats.failed += len(failed)
        return len(sent)

    async def _publishable(
        self, conn: AsyncConnection, claimed: Sequence[OutboxRow]
    ) -> list[OutboxRow]:
        """The claimed rows this pass may publish: none behind an older pending row of its
        aggregate outside the batch, none in a bucket another relay holds. The rest stay
        locked by this transaction until it ends and go out on a later pass."""
        if not claimed:
            return []
        result = await conn.execute(
            _BLOCKED,
            {
                "keys": sorted({row.aggregate_key for row in claimed}),
                "newest": claimed[-1].id,
                "ids": [row.id for row in claimed],
            },
        )
        blocked: dict[str, int] = {row.aggregate_key: row.first_id for row in result}
        free = [row for row in claimed if blocked.get(row.aggregate_key, row.id) >= row.id]
        buckets = sorted({row.bucket for row in free})
        if not buckets:
            return []
        taken = set((await conn.execute(_LOCK_BUCKETS, {"buckets": buckets})).scalars())
        return [row for row in free if row.bucket not in taken]

    async def _publish_batch(
        self,
        rows: Sequence[OutboxRow],
        by_aggregate: Mapping[str, Sequence[OutboxRow]],
        exchanges: Mapping[str, AbstractExchange],
    ) -> list[tuple[list[int], list[int], str]]:
        """Every aggregate's rows in order, the aggregates side by side, under one span and one
        timeout: the timeout bounds how long a hung broker keeps this batch's row locks (one
        per message cost a tenth of the relay's CPU)."""
        if self._tracer is None:
            return await self._bounded(by_aggregate, exchanges)
        with self._tracer.start_as_current_span(
            f"{self._names.events} publish",
            kind=SpanKind.PRODUCER,
            links=[link for row in rows if (link := _link_of(row.headers)) is not None],
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "send",
                "messaging.batch.message_count": len(rows),
            },
        ):
            return await self._bounded(by_aggregate, exchanges)

    async def _bounded(
        self,
        by_aggregate: Mapping[str, Sequence[OutboxRow]],
        exchanges: Mapping[str, AbstractExchange],
    ) -> list[tuple[list[int], list[int], str]]:
        publishing = asyncio.gather(
            *(self._publish_in_order(group, exchanges) for group in by_aggregate.values())
        )
        try:
            return await asyncio.wait_for(publishing, self._publish_timeout)
        except TimeoutError:
            failed = [row.id for group in by_aggregate.values() for row in group]
            log.warning("publishing %d outbox rows timed out", len(failed))
            return [([], failed, "TimeoutError: broker did not confirm")]

    async def _publish_in_order(
        self, rows: Sequence[OutboxRow], exchanges: Mapping[str, AbstractExchange]
    ) -> tuple[list[int], list[int], str]:
        """Publish one aggregate's rows one after another; stop at the first failure."""
        sent: list[int] = []
        for index, row in enumerate(rows):
            try:
                await self._send(row, exchanges[row.exchange])
            except Exception as exc:
                log.warning("publishing %s failed: %s", row.event_id, exc)
                return sent, [r.id for r in rows[index:]], f"{type(exc).__name__}: {exc}"
            sent.append(row.id)
        return sent, [], ""

    async def _send(self, row: OutboxRow, exchange: AbstractExchange) -> None:
        message = aio_pika.Message(
            row.payload.encode(),
            # The context of the transaction that wrote the row: the consumer's span continues it.
            headers=dict(row.headers),
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=row.event_id,
            # Stable across a republish, so both copies log under one id.
            correlation_id=row.event_id,
            type=row.event_type,
            timestamp=row.created_at,
            app_id=self._app_id,
        )
        # The channel has publisher confirms on: this returns once the broker acknowledged the
        # message, and raises on a negative acknowledgement or (mandatory, with
        # `on_return_raises`) a message no queue took.
        await exchange.publish(message, routing_key=row.routing_key, mandatory=True, timeout=None)

    async def backlog(self) -> RelayStats:
        async with self._engine.connect() as conn:
            count, oldest = (await conn.execute(_BACKLOG)).one()
        self.stats.pending = int(count)
        if oldest is not None:
            age = (datetime.now(oldest.tzinfo) - oldest).total_seconds()
            self.stats.oldest_pending_age_seconds = max(age, 0.0)
        else:
            self.stats.oldest_pending_age_seconds = 0.0
        return self.stats

    async def purge_published(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(_PURGE, {"days": self._retention_days})
