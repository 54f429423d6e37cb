"""What the statistics service does with the events it consumes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.members import MEMBER_STATE_EVENTS, MemberState
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import Subscription, on
from federa.shared.projection import keep_member_copy_in_tx
from federa.statistics.storage.tables import members


async def on_member_changed(session: AsyncSession, event: CloudEvent, data: MemberState) -> None:
    # Statistics keeps no personal data, so member.erased changes nothing here.
    await keep_member_copy_in_tx(session, members, event, data)


SUBSCRIPTIONS: list[Subscription[Any]] = [
    on(spec, on_member_changed) for spec in MEMBER_STATE_EVENTS
]
