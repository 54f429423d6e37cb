"""Events leave through the outbox in the transaction of the change (ARCHITECTURE "Delivery
guarantees"). `Events` collects a transaction's events and writes them with one statement, as
`record_event_in_tx` would one by one: a file of thousands of payments makes thousands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from opentelemetry import propagate
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.registry import EventSpec
from federa.shared.db import EVENTS_WRITTEN
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.messaging.outbox import NOTIFY_CHANNEL

# As `record_event_in_tx` writes a row; the payload goes in as text, not re-encoded.
_INSERT = text(
    """
    INSERT INTO outbox
        (event_id, event_type, exchange, routing_key, aggregate_key, payload, headers)
    VALUES (:event_id, :event_type, :exchange, :routing_key, :aggregate_key,
            CAST(:payload AS jsonb), CAST(:headers AS jsonb))
    """
)


class Events:
    def __init__(self, tenant: str, *, causation_id: str | None = None) -> None:
        self.tenant = tenant
        self._causation_id = causation_id
        self._events: list[CloudEvent] = []

    def add(self, spec: EventSpec[Any], data: BaseModel, *, subject: object, version: int) -> None:
        self._events.append(
            new_event(
                spec,
                data,
                subject=str(subject),
                tenant=self.tenant,
                aggregate_version=version,
                causation_id=self._causation_id,
            )
        )

    def __iter__(self) -> Iterator[CloudEvent]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    async def flush_in_tx(self, session: AsyncSession) -> None:
        if not self._events:
            return
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        headers = json.dumps(carrier)
        rows = []
        for event in self._events:
            if "traceparent" in carrier:
                event = event.model_copy(update={"traceparent": carrier["traceparent"]})
            rows.append(
                {
                    "event_id": event.id,
                    "event_type": event.type,
                    "exchange": "events",
                    "routing_key": event.routing_key,
                    "aggregate_key": f"{event.source}|{event.subject or ''}",
                    "payload": event.to_json().decode(),
                    "headers": headers,
                }
            )
        await session.execute(_INSERT, rows)
        if not session.info.get(EVENTS_WRITTEN):
            await session.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
            session.info[EVENTS_WRITTEN] = True
        self._events.clear()
