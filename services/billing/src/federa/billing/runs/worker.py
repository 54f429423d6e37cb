"""The billing worker: consumes the run-chunk work queue and processes each chunk in its own
transaction, acknowledging only after the commit. Any number run side by side; each also
relays the outbox, so documents leave as fast as the workers issue them.

A chunk that fails for a reason outside the billing rules (the database gone, a deadlock) is
held for a back-off and negatively acknowledged: RabbitMQ redelivers it, to this worker or
another, until the queue's delivery limit parks it in billing's dead-letter queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from prometheus_client import CollectorRegistry

from federa.billing.runs.chunks import process_chunk
from federa.billing.runs.work import RUN_CHUNK_QUEUED, declare_dead_letters, work_queue
from federa.shared.db import Database
from federa.shared.envelope import CloudEvent
from federa.shared.gc_tuning import tune_for_throughput
from federa.shared.messaging.consumer import retry_delay
from federa.shared.messaging.relay import OutboxRelay
from federa.shared.messaging.topology import BusNames, commands_exchange
from federa.shared.service import build_broker, build_relay, prepare_database
from federa.shared.settings import Settings
from federa.shared.telemetry import configure_logging, tracer_provider

log = logging.getLogger(__name__)

# One chunk at a time per worker, one more waiting: a chunk is hundreds of subscriptions, so
# prefetching more would only keep work from an idle worker.
PREFETCH = 2


@dataclass
class RunWorker:
    settings: Settings
    db: Database
    broker: RabbitBroker
    relay: OutboxRelay
    relay_broker: RabbitBroker
    name: str
    processed: int = 0


def build_worker(settings: Settings, *, prefetch: int = PREFETCH) -> RunWorker:
    settings = settings.model_copy(update={"service": "billing"})
    registry = CollectorRegistry()
    tracing = tracer_provider(settings)
    names = BusNames(settings.namespace)
    db = Database(settings.database_url, pool_size=min(4, settings.db_pool_size))
    broker = build_broker(settings, registry, tracing)
    relay, relay_broker = build_relay(settings, db, names, tracing)
    # Host and process, and a suffix for the tests' workers that share one process.
    name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:4]}"
    worker = RunWorker(settings, db, broker, relay, relay_broker, name)

    @broker.subscriber(
        work_queue(names, delivery_limit=settings.delivery_limit),
        commands_exchange(names, declare=False),
        channel=Channel(prefetch_count=prefetch),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="billing run chunks",
    )
    async def on_chunk(message: RabbitMessage) -> None:
        event = CloudEvent.from_json(message.body)
        chunk = RUN_CHUNK_QUEUED.parse(event.data)
        try:
            outcome = await process_chunk(
                db, chunk.billing_run_id, chunk.chunk_no, worker=worker.name
            )
        except Exception:
            count = message.headers.get("x-delivery-count")
            previous = int(count) if isinstance(count, int | str) else 0
            log.exception("chunk %s/%s failed", chunk.billing_run_id, chunk.chunk_no)
            await asyncio.sleep(retry_delay(previous, base=settings.retry_base_seconds))
            raise
        worker.processed += 1
        log.info("chunk %s/%s %s", chunk.billing_run_id, chunk.chunk_no, outcome)

    del on_chunk
    return worker


@contextlib.asynccontextmanager
async def running_worker(
    settings: Settings, *, prefetch: int = PREFETCH
) -> AsyncIterator[RunWorker]:
    """A worker in this process (the tests use it; `main` runs one as a process)."""
    worker = build_worker(settings, prefetch=prefetch)
    if settings.migrate_on_start:
        # `federa up` starts the worker beside the service: whichever comes first migrates.
        from federa.billing.main import DEFINITION

        await prepare_database(worker.db, worker.settings, DEFINITION.migrations_dir)
    await worker.broker.connect()
    await declare_dead_letters(worker.broker, BusNames(settings.namespace))
    await worker.broker.start()
    await worker.relay_broker.connect()
    if settings.relay_enabled:
        await worker.relay.start()
    try:
        yield worker
    finally:
        await worker.relay.stop()
        await worker.relay_broker.stop()
        await worker.broker.stop()
        await worker.db.dispose()


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_worker(settings) as worker:
        tune_for_throughput()
        log.info("billing worker %s consuming run chunks", worker.name)
        await stop.wait()
    log.info("billing worker stopped")


def main() -> None:
    settings = Settings(service="billing")
    configure_logging(settings)
    asyncio.run(_serve(settings))
