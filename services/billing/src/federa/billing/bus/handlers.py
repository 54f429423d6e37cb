"""What the billing service does with the events it consumes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.storage.tables import members
from federa.shared.contracts.members import (
    MEMBER_ERASED,
    MEMBER_STATE_EVENTS,
    MemberErasedV1,
    MemberState,
)
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import Subscription, on
from federa.shared.projection import keep_member_copy_in_tx, scrub_member_copy_in_tx


async def on_member_changed(session: AsyncSession, event: CloudEvent, data: MemberState) -> None:
    await keep_member_copy_in_tx(session, members, event, data)


async def on_member_erased(session: AsyncSession, event: CloudEvent, data: MemberErasedV1) -> None:
    await scrub_member_copy_in_tx(session, members, event, data)


SUBSCRIPTIONS: list[Subscription[Any]] = [
    *(on(spec, on_member_changed) for spec in MEMBER_STATE_EVENTS),
    on(MEMBER_ERASED, on_member_erased),
]
