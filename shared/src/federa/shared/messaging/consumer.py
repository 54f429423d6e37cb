"""Consuming: decode the CloudEvent, claim it in the inbox, call the one handler for its type.

Failure handling, by kind:
- a body that is not a CloudEvent, or data that does not fit its contract: rejected at once to
  the service's dead-letter queue (retrying cannot help);
- a type this service has no handler for (say a `.v2` published beside the `.v1` it reads):
  acknowledged and counted, since its twin carries what the service needs;
- a handler error: held for a back-off that doubles with each delivery, then negatively
  acknowledged and redelivered, until the queue's delivery limit dead-letters it. The back-off
  keeps a database restart from burning the whole delivery budget in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from faststream import AckPolicy
from faststream.exceptions import RejectMessage
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.registry import D, EventSpec
from federa.shared.db import Database
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.inbox import claim_in_tx

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent, D], Awaitable[None]]
# Records `event` in the consumer's inbox within the session's transaction; False if it was
# there already. `claim_in_tx` by default.
Claim = Callable[[AsyncSession, str, CloudEvent], Awaitable[bool]]


@dataclass(frozen=True)
class Subscription(Generic[D]):
    spec: EventSpec[D]
    handler: Handler[D]
    # A service may claim in a statement that also writes its first effect (statistics
    # archives every event in the claim's round trip); it must write the inbox row all the
    # same, in the transaction the handler runs in.
    claim: Claim | None = None


def on(spec: EventSpec[D], handler: Handler[D], *, claim: Claim | None = None) -> Subscription[D]:
    """`on(MEMBER_REGISTERED, on_member_registered)`: one line per consumed event type."""
    return Subscription(spec, handler, claim)


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "federa_events_consumed",
            "Events taken from the service's queue, by type and outcome",
            ["event_type", "outcome"],
            registry=registry,
        )


class Consumer:
    def __init__(
        self,
        service: str,
        db: Database,
        subscriptions: Sequence[Subscription[Any]],
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        self.service = service
        self._db = db
        self._by_type: dict[str, Subscription[Any]] = {}
        for sub in subscriptions:
            if sub.spec.type in self._by_type:
                raise ValueError(f"{service} handles {sub.spec.type} twice")
            self._by_type[sub.spec.type] = sub
        self._metrics = metrics

    @property
    def routing_keys(self) -> list[str]:
        return sorted({sub.spec.routing_key for sub in self._by_type.values()})

    def _count(self, event_type: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.outcomes.labels(event_type, outcome).inc()

    async def handle(self, body: bytes) -> str:
        """Apply one message; returns the outcome (applied, duplicate, ignored)."""
        try:
            event = CloudEvent.from_json(body)
        except ValidationError as exc:
            self._count("invalid", "rejected")
            log.error("%s rejects a message that is not a CloudEvent: %s", self.service, exc)
            raise RejectMessage from exc
        sub = self._by_type.get(event.type)
        if sub is None:
            self._count(event.type, "ignored")
            log.info("%s has no handler for %s; acknowledged", self.service, event.type)
            return "ignored"
        try:
            data = sub.spec.parse(event.data)
        except ValidationError as exc:
            self._count(event.type, "rejected")
            log.error("%s rejects %s %s: %s", self.service, event.type, event.id, exc)
            raise RejectMessage from exc
        async with self._db.transaction() as session:
            claim = sub.claim or claim_in_tx
            if not await claim(session, self.service, event):
                self._count(event.type, "duplicate")
                return "duplicate"
            await sub.handler(session, event, data)
        self._count(event.type, "applied")
        return "applied"


def retry_delay(previous_deliveries: int, *, base: float, cap: float = 30.0) -> float:
    """Seconds to hold a failed message before it goes back: base, 2*base, 4*base, ..."""
    return float(min(cap, base * 2 ** max(previous_deliveries, 0)))


def subscribe(
    broker: RabbitBroker, queue: RabbitQueue, consumer: Consumer, *, retry_base_seconds: float
) -> None:
    """Attach the consumer to the service's queue (declared by the topology, not here)."""

    @broker.subscriber(
        queue, ack_policy=AckPolicy.NACK_ON_ERROR, title=f"{consumer.service} consumer"
    )
    async def consume(message: RabbitMessage) -> None:
        try:
            await consumer.handle(message.body)
        except RejectMessage:
            raise
        except Exception:
            # Quorum queues count earlier deliveries in x-delivery-count.
            count = message.headers.get("x-delivery-count")
            previous = int(count) if isinstance(count, int | str) else 0
            await asyncio.sleep(retry_delay(previous, base=retry_base_seconds))
            raise

    del consume
