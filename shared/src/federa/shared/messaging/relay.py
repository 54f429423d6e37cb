"""The outbox relay: publishes committed events with publisher confirms, in aggregate order.

Several replicas may relay at once. Each pass claims a batch of pending rows with
`FOR UPDATE SKIP LOCKED` and an advisory lock per aggregate, and never takes a row while an
older pending row of the same aggregate is outside its batch, so events of one aggregate leave
in commit order. A row is marked published only after the broker confirmed it; a crash between
confirm and mark publishes the row again, which consumers' inboxes absorb.

Given a tracer provider, the relay traces each publish itself (a PRODUCER span in the trace the
row was written in, its context in the message's headers) and should get a broker without
FastStream's telemetry and metrics middlewares: they cost about as much CPU per event as the
publish itself, and the relay is what every event of a busy service waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from federa.shared.envelope import CONTENT_TYPE
from federa.shared.messaging.outbox import NOTIFY_CHANNEL
from federa.shared.messaging.topology import BusNames

log = logging.getLogger(__name__)

# The advisory lock is taken on the claimed (materialized) batch's rows only, whatever plan the
# planner picks. Written as a filter on a join with `outbox`, it was a restriction on the scan
# of `outbox`, which a sequential-scan plan would evaluate for every pending row: one lock per
# row of a large backlog, in the server's lock table that every database on it shares.
_CLAIM = text(
    """
    WITH batch AS MATERIALIZED (
        SELECT id, event_id, event_type, exchange, routing_key, aggregate_key,
               payload::text AS payload, headers, created_at
        FROM outbox
        WHERE published_at IS NULL
        ORDER BY id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    SELECT b.id, b.event_id, b.event_type, b.exchange, b.routing_key, b.aggregate_key,
           b.payload, b.headers, b.created_at
    FROM batch b
    WHERE pg_try_advisory_xact_lock(hashtext('federa.outbox'), hashtext(b.aggregate_key))
      AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.aggregate_key = b.aggregate_key AND p.published_at IS NULL
            AND p.id < b.id AND p.id NOT IN (SELECT id FROM batch)
      )
    ORDER BY b.id
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
            rows = [OutboxRow(**dict(r)) for r in result.mappings()]
            if not rows:
                return 0
            by_aggregate: dict[str, list[OutboxRow]] = defaultdict(list)
            for row in rows:
                by_aggregate[row.aggregate_key].append(row)
            outcomes = await asyncio.gather(
                *(self._publish_in_order(group) for group in by_aggregate.values())
            )
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

    async def _publish_in_order(
        self, rows: Sequence[OutboxRow]
    ) -> tuple[list[int], list[int], str]:
        """Publish one aggregate's rows one after another; stop at the first failure."""
        sent: list[int] = []
        for index, row in enumerate(rows):
            try:
                await self._publish(row)
            except Exception as exc:
                log.warning("publishing %s failed: %s", row.event_id, exc)
                return sent, [r.id for r in rows[index:]], f"{type(exc).__name__}: {exc}"
            sent.append(row.id)
        return sent, [], ""

    async def _publish(self, row: OutboxRow) -> None:
        # Continue the trace of the transaction that wrote the row.
        parent = propagate.extract(dict(row.headers))
        if self._tracer is None:
            token = otel_context.attach(parent)
            try:
                await self._send(row, None)
            finally:
                otel_context.detach(token)
            return
        exchange = self._exchanges[row.exchange].name
        with self._tracer.start_as_current_span(
            f"{exchange}.{row.routing_key} publish",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation": "publish",
                "messaging.destination.name": exchange,
                "messaging.rabbitmq.destination.routing_key": row.routing_key,
                "messaging.message.id": row.event_id,
            },
        ):
            headers: dict[str, Any] = {}
            propagate.inject(headers)
            await self._send(row, headers)

    async def _send(self, row: OutboxRow, headers: dict[str, Any] | None) -> None:
        await self._broker.publish(
            row.payload.encode(),
            exchange=self._exchanges[row.exchange],
            routing_key=row.routing_key,
            persist=True,
            mandatory=True,
            message_id=row.event_id,
            message_type=row.event_type,
            content_type=CONTENT_TYPE,
            timestamp=row.created_at,
            headers=headers,
            # Bounds how long a hung broker keeps this batch's row locks.
            timeout=self._publish_timeout,
        )

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
