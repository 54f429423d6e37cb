"""What the statistics service does with the events it consumes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import on
from federa.shared.projection import upsert_if_newer_in_tx
from federa.statistics.storage.tables import members


async def on_member_registered(
    session: AsyncSession, event: CloudEvent, data: MemberRegisteredV1
) -> None:
    await upsert_if_newer_in_tx(
        session,
        members,
        {
            "member_id": data.member_id,
            "tenant": event.tenant,
            "organisation_id": data.organisation_id,
            "status": data.status,
            "enrolment_date": data.enrolment_date,
            "registered_at": data.registered_at,
            "version": event.aggregateversion,
        },
        key=["member_id"],
    )


SUBSCRIPTIONS = [on(MEMBER_REGISTERED, on_member_registered)]
