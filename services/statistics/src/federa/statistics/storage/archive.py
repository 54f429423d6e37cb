"""The event archive: every consumed envelope, once, in arrival order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.envelope import CloudEvent
from federa.statistics.domain.wording import refs_of

# The consumer's inbox claim, the advisory locks and the archive row in one round trip (three
# before), as plain SQL built once: building an `insert().values(...)` per event and its cache
# key was a large share of a consumed event's CPU. The archive row is written only for a
# claimed (new) event, after the locks (the scalar subquery runs once, before the row); the
# count says whether the event was new.
_CLAIM_AND_ARCHIVE = text(
    """
WITH claimed AS (
    INSERT INTO inbox (consumer, event_id, event_type)
    VALUES (:consumer, :event_id, :event_type)
    ON CONFLICT DO NOTHING
    RETURNING event_id
), archived AS (
    INSERT INTO event_archive (event_id, tenant, event_type, subject, aggregate_version,
        occurred_at, member_id, organisation_id, payer_account_id, outcome, envelope)
    SELECT :event_id, :tenant, :event_type, :subject, :aggregate_version, :occurred_at,
        :member_id, :organisation_id, :payer_account_id, :outcome, :envelope
    FROM claimed
    WHERE (SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
           FROM unnest(CAST(:locks AS text[])) AS k) >= 0
    ON CONFLICT (event_id) DO NOTHING
)
SELECT count(*) FROM claimed
"""
).bindparams(bindparam("envelope", type_=JSONB), bindparam("locks", type_=ARRAY(Text)))

_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM unnest(CAST(:locks AS text[])) AS k"
).bindparams(bindparam("locks", type_=ARRAY(Text)))


def _row(event: CloudEvent, locks: Sequence[str]) -> dict[str, Any]:
    refs = refs_of(event.type, event.data)
    return {
        "event_id": event.id,
        "tenant": event.tenant,
        "event_type": event.type,
        "subject": event.subject,
        "aggregate_version": event.aggregateversion,
        "occurred_at": event.time,
        "member_id": refs.member_id,
        "organisation_id": refs.organisation_id,
        "payer_account_id": refs.payer_account_id,
        "outcome": refs.outcome,
        "envelope": event.model_dump(mode="json"),
        "locks": sorted(locks),
    }


async def claim_and_archive_in_tx(
    session: AsyncSession, consumer: str, event: CloudEvent, *, locks: Sequence[str] = ()
) -> bool:
    """The inbox claim (False for a duplicate) and, for a new event, its locks and archive
    row (taking the locks before the row is written; see `lock_in_tx`)."""
    result = await session.execute(_CLAIM_AND_ARCHIVE, {"consumer": consumer, **_row(event, locks)})
    return bool(result.scalar_one())


async def lock_in_tx(session: AsyncSession, keys: Sequence[str]) -> None:
    """Serialise the transactions that fold the same aggregate: the second one waits and
    then sees the first one's archived event, so no fold misses one. Keys are taken in
    sorted order, so two transactions locking overlapping sets cannot deadlock."""
    if keys:
        await session.execute(_LOCK, {"locks": sorted(set(keys))})
