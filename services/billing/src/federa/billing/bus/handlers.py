"""What the billing service does with the events it consumes.

Billing never asks the members service anything: it keeps copies of the members (the fields
pricing, scoping and deliveries need), of the organisation tree, and makes each member's and
each organisation's own payer account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.member_addresses import keep_address_copy_in_tx, scrub_addresses_in_tx
from federa.billing.orders.payment import apply_payment_in_tx
from federa.billing.payer_accounts import (
    keep_organisation_account_in_tx,
    keep_own_account_in_tx,
    scrub_own_account_in_tx,
)
from federa.billing.recruitment.due import record_gifts_due_in_tx
from federa.billing.storage.tables import members, organisations
from federa.billing.subscriptions.arrears_stop import stop_for_arrears_in_tx
from federa.shared.contracts.members import (
    ALTERNATIVE_ADDRESS_ADDED,
    ALTERNATIVE_ADDRESS_REMOVED,
    MEMBER_ERASED,
    MEMBER_STATE_EVENTS,
    ORGANISATION_CREATED,
    ORGANISATION_MOVED,
    ORGANISATION_UPDATED,
    AlternativeAddressV1,
    MemberErasedV1,
    MemberState,
    OrganisationStateV1,
)
from federa.shared.contracts.payments import (
    ARREARS_STOP_EXECUTED,
    PAYMENT_APPLIED,
    ArrearsStopExecutedV1,
    PaymentAppliedV1,
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
    await scrub_addresses_in_tx(session, data.member_id)


async def on_address_added(
    session: AsyncSession, event: CloudEvent, data: AlternativeAddressV1
) -> None:
    await keep_address_copy_in_tx(session, event, data, removed=False)


async def on_address_removed(
    session: AsyncSession, event: CloudEvent, data: AlternativeAddressV1
) -> None:
    await keep_address_copy_in_tx(session, event, data, removed=True)


async def on_organisation_changed(
    session: AsyncSession, event: CloudEvent, data: OrganisationStateV1
) -> None:
    # An older event than the copy holds changes nothing, the payer account included.
    newer = await upsert_if_newer_in_tx(
        session,
        organisations,
        {
            "organisation_id": data.organisation_id,
            "tenant": event.tenant,
            "name": data.name,
            "organisation_type": data.organisation_type,
            "parent_id": data.parent_id,
            "ancestor_ids": data.ancestor_ids,
            "version": event.aggregateversion,
        },
        key=["organisation_id"],
    )
    if newer:
        await keep_organisation_account_in_tx(session, event.tenant, data)


async def on_payment_applied(
    session: AsyncSession, event: CloudEvent, data: PaymentAppliedV1
) -> None:
    """Paid orders become invoices; subscriptions paid; rule 23 (`orders/payment.py`)."""
    await apply_payment_in_tx(session, event.tenant, data)
    # Rule 39: a recruit's first charge paid in full makes the recruitment gift due.
    await record_gifts_due_in_tx(session, event.tenant, data)


async def on_arrears_stop_executed(
    session: AsyncSession, event: CloudEvent, data: ArrearsStopExecutedV1
) -> None:
    """Stop the named subscriptions and credit their latest period (`arrears_stop.py`)."""
    await stop_for_arrears_in_tx(session, event.tenant, data)


SUBSCRIPTIONS: list[Subscription[Any]] = [
    *(on(spec, on_member_changed) for spec in MEMBER_STATE_EVENTS),
    on(MEMBER_ERASED, on_member_erased),
    on(ALTERNATIVE_ADDRESS_ADDED, on_address_added),
    on(ALTERNATIVE_ADDRESS_REMOVED, on_address_removed),
    on(ORGANISATION_CREATED, on_organisation_changed),
    on(ORGANISATION_UPDATED, on_organisation_changed),
    on(ORGANISATION_MOVED, on_organisation_changed),
    on(PAYMENT_APPLIED, on_payment_applied),
    on(ARREARS_STOP_EXECUTED, on_arrears_stop_executed),
]
