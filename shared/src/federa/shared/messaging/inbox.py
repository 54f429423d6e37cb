"""The idempotent inbox: an event's effects are applied once per consumer."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.envelope import CloudEvent

_CLAIM = text(
    """
    INSERT INTO inbox (consumer, event_id, event_type) VALUES (:consumer, :event_id, :event_type)
    ON CONFLICT DO NOTHING
    """
)


async def claim_in_tx(session: AsyncSession, consumer: str, event: CloudEvent) -> bool:
    """Record that `consumer` handles `event`; False if it already did.

    Runs in the transaction of the handler's effects, so a crash before commit leaves neither
    the claim nor the effects, and the redelivered event is applied then.
    """
    result = await session.execute(
        _CLAIM, {"consumer": consumer, "event_id": event.id, "event_type": event.type}
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
