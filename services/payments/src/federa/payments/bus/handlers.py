"""What the payments service does with the events it consumes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.storage.tables import members
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import on
from federa.shared.projection import upsert_if_newer_in_tx


async def on_member_registered(
    session: AsyncSession, event: CloudEvent, data: MemberRegisteredV1
) -> None:
    await upsert_if_newer_in_tx(
        session,
        members,
        {
            "member_id": data.member_id,
            "tenant": event.tenant,
            "member_number": data.member_number,
            "name": data.name,
            "organisation_id": data.organisation_id,
            "status": data.status,
            "version": event.aggregateversion,
        },
        key=["member_id"],
    )


SUBSCRIPTIONS = [on(MEMBER_REGISTERED, on_member_registered)]
