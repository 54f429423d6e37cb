"""The bus, declared by code: exchanges, each service's queue, its dead letters.

{ns}.events    topic, durable; alternate exchange {ns}.unrouted so an event nobody is bound
               to is kept rather than returned to the relay or dropped
{ns}.commands  topic, durable; `<service>.cmd.<verb>` to the owning service
{ns}.<service>      quorum queue of one service, bound to what it consumes; replicas compete
{ns}.<service>.dlx  fanout; {ns}.<service>.dlq quorum queue, the parking lot
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aio_pika
from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue

UNROUTED_MAX_LENGTH = 100_000


@dataclass(frozen=True)
class BusNames:
    namespace: str

    @property
    def events(self) -> str:
        return f"{self.namespace}.events"

    @property
    def commands(self) -> str:
        return f"{self.namespace}.commands"

    @property
    def unrouted(self) -> str:
        return f"{self.namespace}.unrouted"

    def exchange(self, logical: str) -> str:
        """The real name of a logical exchange as stored in the outbox."""
        return {"events": self.events, "commands": self.commands}[logical]

    def queue(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    def dead_letter_exchange(self, service: str) -> str:
        return f"{self.namespace}.{service}.dlx"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.namespace}.{service}.dlq"


def events_exchange(names: BusNames, *, declare: bool = True) -> RabbitExchange:
    return RabbitExchange(
        names.events,
        type=ExchangeType.TOPIC,
        durable=True,
        declare=declare,
        arguments={"alternate-exchange": names.unrouted},
    )


def commands_exchange(names: BusNames, *, declare: bool = True) -> RabbitExchange:
    return RabbitExchange(names.commands, type=ExchangeType.TOPIC, durable=True, declare=declare)


def service_queue(
    names: BusNames, service: str, *, delivery_limit: int, declare: bool = True
) -> RabbitQueue:
    return RabbitQueue(
        names.queue(service),
        queue_type=QueueType.QUORUM,
        declare=declare,
        arguments={
            "x-dead-letter-exchange": names.dead_letter_exchange(service),
            "x-delivery-limit": delivery_limit,
            # Dead-lettering itself is confirmed, so a poison message cannot vanish in transit.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(names: BusNames, service: str) -> RabbitQueue:
    return RabbitQueue(names.dead_letter_queue(service), queue_type=QueueType.QUORUM)


async def declare_shared(broker: RabbitBroker, names: BusNames) -> None:
    """Exchanges every service uses; declaring them is idempotent."""
    unrouted_x = await broker.declare_exchange(
        RabbitExchange(names.unrouted, type=ExchangeType.FANOUT, durable=True)
    )
    unrouted_q = await broker.declare_queue(
        RabbitQueue(
            names.unrouted,
            queue_type=QueueType.QUORUM,
            arguments={"x-max-length": UNROUTED_MAX_LENGTH, "x-overflow": "drop-head"},
        )
    )
    await unrouted_q.bind(unrouted_x)
    await broker.declare_exchange(events_exchange(names))
    await broker.declare_exchange(commands_exchange(names))


async def declare_service(
    broker: RabbitBroker,
    names: BusNames,
    service: str,
    *,
    event_keys: Iterable[str],
    delivery_limit: int,
) -> None:
    """Declare a service's queue, its bindings and its dead-letter path."""
    await declare_shared(broker, names)
    dlx = await broker.declare_exchange(
        RabbitExchange(names.dead_letter_exchange(service), type=ExchangeType.FANOUT, durable=True)
    )
    dlq = await broker.declare_queue(dead_letter_queue(names, service))
    await dlq.bind(dlx)
    queue = await broker.declare_queue(service_queue(names, service, delivery_limit=delivery_limit))
    events = await broker.declare_exchange(events_exchange(names))
    for key in sorted(set(event_keys)):
        await queue.bind(events, routing_key=key)
    commands = await broker.declare_exchange(commands_exchange(names))
    await queue.bind(commands, routing_key=f"{service}.cmd.#")


async def delete_namespace(amqp_url: str, names: BusNames, services: Iterable[str]) -> None:
    """Remove everything a namespace declared (test runs clean up after themselves)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for service in services:
            for queue in (names.queue(service), names.dead_letter_queue(service)):
                await channel.queue_delete(queue)
            await channel.exchange_delete(names.dead_letter_exchange(service))
        await channel.queue_delete(names.unrouted)
        for exchange in (names.events, names.commands, names.unrouted):
            await channel.exchange_delete(exchange)
