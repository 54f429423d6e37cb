"""The event archive: every consumed envelope, once, in arrival order."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.envelope import CloudEvent
from federa.statistics.domain.subscriptions import ArchivedEvent
from federa.statistics.domain.wording import event_name, refs_of
from federa.statistics.storage.tables import event_archive


async def archive_in_tx(session: AsyncSession, event: CloudEvent) -> None:
    refs = refs_of(event.type, event.data)
    await session.execute(
        insert(event_archive)
        .values(
            event_id=event.id,
            tenant=event.tenant,
            event_type=event.type,
            subject=event.subject,
            aggregate_version=event.aggregateversion,
            occurred_at=event.time,
            member_id=refs.member_id,
            organisation_id=refs.organisation_id,
            payer_account_id=refs.payer_account_id,
            outcome=refs.outcome,
            envelope=event.model_dump(mode="json"),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


async def lock_in_tx(session: AsyncSession, key: str) -> None:
    """Serialise the transactions that fold the same aggregate: the second one waits and
    then sees the first one's archived event, so no fold misses one."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


async def aggregate_events(
    session: AsyncSession, tenant: str, subject: str, type_prefix: str
) -> list[ArchivedEvent]:
    rows = await session.execute(
        select(
            event_archive.c.event_type, event_archive.c.aggregate_version, event_archive.c.envelope
        )
        .where(
            event_archive.c.tenant == tenant,
            event_archive.c.subject == subject,
            event_archive.c.event_type.startswith(type_prefix),
        )
        .order_by(event_archive.c.aggregate_version, event_archive.c.seq)
    )
    return [
        ArchivedEvent(event_name(r.event_type)[2], r.aggregate_version, r.envelope["data"])
        for r in rows
    ]
