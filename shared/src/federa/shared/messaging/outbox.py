"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import json

from opentelemetry import propagate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.db import EVENTS_WRITTEN
from federa.shared.envelope import CloudEvent

NOTIFY_CHANNEL = "federa_outbox"

_INSERT = text(
    """
    INSERT INTO outbox
        (event_id, event_type, exchange, routing_key, aggregate_key, payload, headers)
    VALUES (:event_id, :event_type, :exchange, :routing_key, :aggregate_key,
            CAST(:payload AS jsonb), CAST(:headers AS jsonb))
    """
)


async def record_event_in_tx(
    session: AsyncSession, event: CloudEvent, *, exchange: str = "events"
) -> CloudEvent:
    """Store `event` for publication when the surrounding transaction commits.

    `exchange` is the logical exchange ("events" or "commands"); the relay resolves it to the
    namespace's real exchange. The current trace context is stored with the row so the relay
    continues the trace of the request that caused the event.
    """
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" in carrier:
        event = event.model_copy(update={"traceparent": carrier["traceparent"]})
    await session.execute(
        _INSERT,
        {
            "event_id": event.id,
            "event_type": event.type,
            "exchange": exchange,
            "routing_key": event.routing_key,
            "aggregate_key": f"{event.source}|{event.subject or ''}",
            "payload": event.to_json().decode(),
            "headers": json.dumps(carrier),
        },
    )
    if not session.info.get(EVENTS_WRITTEN):
        # Delivered at commit only; wakes relays of other replicas promptly. Once per
        # transaction is enough.
        await session.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
        session.info[EVENTS_WRITTEN] = True
    return event
