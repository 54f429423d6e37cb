"""The run's work queue: one message per chunk, consumed by any number of billing workers.

    {ns}.commands --billing.work.#--> {ns}.billing.run-chunks   quorum, prefetch small,
                                      dead-lettered to {ns}.billing.dlx after the delivery limit

A chunk message goes out through the outbox in the transaction that planned the chunk, so a
run is never planned without its work queued, nor queued without being planned. It is an
internal command, not a published contract: its spec is not in the platform registry.
"""

from __future__ import annotations

from uuid import UUID

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.registry import EventData, EventSpec
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.messaging.outbox import record_events_in_tx
from federa.shared.messaging.topology import (
    BusNames,
    commands_exchange,
    dead_letter_queue,
    declare_shared,
)

SERVICE = "billing"
ROUTING_PATTERN = "billing.work.#"


class RunChunkQueuedV1(EventData):
    billing_run_id: UUID
    chunk_no: int


RUN_CHUNK_QUEUED = EventSpec(
    "billing", "work", "run_chunk", 1, RunChunkQueuedV1, "A chunk of a billing run to process."
)


def work_queue_name(names: BusNames) -> str:
    return f"{names.queue(SERVICE)}.run-chunks"


def work_queue(names: BusNames, *, delivery_limit: int, declare: bool = True) -> RabbitQueue:
    return RabbitQueue(
        work_queue_name(names),
        queue_type=QueueType.QUORUM,
        declare=declare,
        routing_key=ROUTING_PATTERN,
        arguments={
            "x-dead-letter-exchange": names.dead_letter_exchange(SERVICE),
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


async def declare_dead_letters(broker: RabbitBroker, names: BusNames) -> None:
    await declare_shared(broker, names)
    dlx = await broker.declare_exchange(
        RabbitExchange(names.dead_letter_exchange(SERVICE), type=ExchangeType.FANOUT, durable=True)
    )
    dlq = await broker.declare_queue(dead_letter_queue(names, SERVICE))
    await dlq.bind(dlx)


async def declare_work_queue(broker: RabbitBroker, names: BusNames, *, delivery_limit: int) -> None:
    """Idempotent; the API declares it before it queues a run's first chunks. (A worker lets
    its subscriber declare the queue: FastStream keeps the first channel a queue was declared
    on, and the subscriber's own channel is the one with the small prefetch.)"""
    await declare_dead_letters(broker, names)
    queue = await broker.declare_queue(work_queue(names, delivery_limit=delivery_limit))
    commands = await broker.declare_exchange(commands_exchange(names))
    await queue.bind(commands, routing_key=ROUTING_PATTERN)


def chunk_message(tenant: str, run_id: UUID, chunk_no: int) -> CloudEvent:
    return new_event(
        RUN_CHUNK_QUEUED,
        RunChunkQueuedV1(billing_run_id=run_id, chunk_no=chunk_no),
        # One aggregate per chunk: the relay publishes a run's chunks concurrently.
        subject=f"{run_id}/{chunk_no}",
        tenant=tenant,
        aggregate_version=1,
        correlation_id=str(run_id),
    )


async def queue_chunks_in_tx(
    session: AsyncSession, tenant: str, run_id: UUID, chunk_numbers: list[int]
) -> None:
    await record_events_in_tx(
        session,
        [chunk_message(tenant, run_id, no) for no in chunk_numbers],
        exchange="commands",
    )
