"""Operator tools for a service's dead-letter queue: look at what failed, replay it.

A replayed message goes back to the queue it died in, through the default exchange, so only
the service that failed sees it again; the other services bound to the same routing key do not.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from federa.shared.messaging.topology import BusNames

_DEATH_HEADERS = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    event_type: str | None
    routing_key: str | None
    origin_queue: str | None
    reason: str | None
    deaths: int
    timestamp: datetime | None
    body: str


def _first_death(message: AbstractIncomingMessage) -> dict[str, Any]:
    deaths = message.headers.get("x-death") or []
    return dict(deaths[0]) if deaths else {}  # type: ignore[arg-type, index]


def _describe(message: AbstractIncomingMessage) -> DeadLetter:
    death = _first_death(message)
    keys = death.get("routing-keys") or [message.routing_key]
    body = message.body.decode(errors="replace")
    return DeadLetter(
        message_id=message.message_id,
        event_type=message.type,
        routing_key=str(keys[0]) if keys else None,
        origin_queue=str(death["queue"]) if "queue" in death else None,
        reason=str(death.get("reason") or message.headers.get("x-first-death-reason") or ""),
        deaths=int(death.get("count", 1)),
        timestamp=message.timestamp,
        body=body if len(body) <= 2000 else body[:2000] + "…",
    )


async def list_dead_letters(
    amqp_url: str, names: BusNames, service: str, *, limit: int = 100
) -> list[DeadLetter]:
    """Peek at up to `limit` dead letters; they stay in the queue."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(names.dead_letter_queue(service), ensure=True)
        held: list[AbstractIncomingMessage] = []
        while len(held) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
        letters = [_describe(m) for m in held]
        for message in held:
            await message.nack(requeue=True)
    return letters


async def replay_dead_letters(
    amqp_url: str,
    names: BusNames,
    service: str,
    *,
    message_ids: Collection[str] | None = None,
    limit: int = 10_000,
) -> list[str]:
    """Republish dead letters (all, or those with the given ids) to their origin queue."""
    replayed: list[str] = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.get_queue(names.dead_letter_queue(service), ensure=True)
        skipped: list[AbstractIncomingMessage] = []
        for _ in range(limit):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if message_ids is not None and message.message_id not in message_ids:
                skipped.append(message)
                continue
            origin = _first_death(message).get("queue") or names.queue(service)
            headers = {k: v for k, v in message.headers.items() if k not in _DEATH_HEADERS}
            previous = headers.get("x-federa-replayed")
            headers["x-federa-replayed"] = (previous if isinstance(previous, int) else 0) + 1
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body=message.body,
                    headers=headers,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    type=message.type,
                    timestamp=message.timestamp,
                    correlation_id=message.correlation_id,
                    app_id=message.app_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=str(origin),
            )
            await message.ack()
            replayed.append(message.message_id or "")
        for message in skipped:
            await message.nack(requeue=True)
    return replayed
