"""What the billing service does with the events it consumes.

Billing never asks the members service anything: it keeps copies of the members (the fields
pricing and scoping need), of the organisation tree, and makes each member's own payer account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.payer_accounts import keep_own_account_in_tx, scrub_own_account_in_tx
from federa.billing.storage.tables import members, organisations
from federa.shared.contracts.members import (
    MEMBER_ERASED,
    MEMBER_STATE_EVENTS,
    ORGANISATION_CREATED,
    ORGANISATION_MOVED,
    ORGANISATION_UPDATED,
    MemberErasedV1,
    MemberState,
    OrganisationStateV1,
)
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import Subscription, on
from federa.shared.projection import (
    keep_member_copy_in_tx,
    scrub_member_copy_in_tx,
    upsert_if_newer_in_tx,
)


async def on_member_changed(session: AsyncSession, event: CloudEvent, data: MemberState) -> None:
    # An older event than the copy holds changes nothing, the payer account included.
    if await keep_member_copy_in_tx(session, members, event, data):
        await keep_own_account_in_tx(session, event.tenant, data)


async def on_member_erased(session: AsyncSession, event: CloudEvent, data: MemberErasedV1) -> None:
    await scrub_member_copy_in_tx(session, members, event, data)
    await scrub_own_account_in_tx(session, event.tenant, data)


async def on_organisation_changed(
    session: AsyncSession, event: CloudEvent, data: OrganisationStateV1
) -> None:
    await upsert_if_newer_in_tx(
        session,
        organisations,
        {
            "organisation_id": data.organisation_id,
            "tenant": event.tenant,
            "name": data.name,
            "parent_id": data.parent_id,
            "ancestor_ids": data.ancestor_ids,
            "version": event.aggregateversion,
        },
        key=["organisation_id"],
    )


SUBSCRIPTIONS: list[Subscription[Any]] = [
    *(on(spec, on_member_changed) for spec in MEMBER_STATE_EVENTS),
    on(MEMBER_ERASED, on_member_erased),
    on(ORGANISATION_CREATED, on_organisation_changed),
    on(ORGANISATION_UPDATED, on_organisation_changed),
    on(ORGANISATION_MOVED, on_organisation_changed),
]
