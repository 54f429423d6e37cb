"""What the statistics service does with the events it consumes: all of them.

Every event is archived (the raw envelope: the event log and the rebuild read it) and then
projected by the read model that cares about its type, in the same transaction as the inbox
claim. Types nobody projects are still archived and logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts import REGISTRY, billing, members, payments
from federa.shared.contracts.registry import EventData
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import Subscription, on
from federa.statistics.projections import copies, finance
from federa.statistics.projections.subscriptions import (
    SUBSCRIPTION_EVENTS,
    lock_subscription_in_tx,
    refresh_subscription_in_tx,
)
from federa.statistics.storage.archive import archive_in_tx

Projector = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]


async def on_subscription_event(session: AsyncSession, event: CloudEvent, data: Any) -> None:
    await refresh_subscription_in_tx(session, event.tenant, uuid.UUID(str(data.subscription_id)))


PROJECTORS: dict[str, Projector] = {
    **{spec.type: copies.on_member_changed for spec in members.MEMBER_STATE_EVENTS},
    members.MEMBER_ERASED.type: copies.on_member_erased,
    members.ORGANISATION_CREATED.type: copies.on_organisation_changed,
    members.ORGANISATION_UPDATED.type: copies.on_organisation_changed,
    members.ORGANISATION_MOVED.type: copies.on_organisation_changed,
    billing.PAYER_ACCOUNT_CREATED.type: copies.on_payer_account_changed,
    billing.PAYER_ACCOUNT_UPDATED.type: copies.on_payer_account_changed,
    billing.PRICE_CODE_CREATED.type: copies.on_price_code_changed,
    billing.PRICE_CODE_UPDATED.type: copies.on_price_code_changed,
    billing.DOCUMENT_ISSUED.type: finance.on_document_issued,
    billing.DOCUMENT_POSTED.type: finance.on_document_posted,
    billing.DOCUMENT_CANCELLED.type: finance.on_document_cancelled,
    billing.CREDIT_MEMO_ISSUED.type: finance.on_credit_memo_issued,
    payments.PAYMENT_RECEIVED.type: finance.on_payment_received,
    payments.PAYMENT_APPLIED.type: finance.on_payment_applied,
    payments.RECEIVABLE_CLOSED.type: finance.on_receivable_closed,
    **{
        spec.type: on_subscription_event
        for spec in REGISTRY.all()
        if spec.type.startswith(SUBSCRIPTION_EVENTS)
    },
}


async def project_in_tx(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    """Apply one archived event to the read models (the consumer and the rebuild)."""
    projector = PROJECTORS.get(event.type)
    if projector is not None:
        await projector(session, event, data)


async def on_any_event(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    if event.type.startswith(SUBSCRIPTION_EVENTS):
        # Taken before archiving, so a concurrent fold of the same subscription sees this one.
        await lock_subscription_in_tx(session, uuid.UUID(str(event.data["subscription_id"])))
    await archive_in_tx(session, event)
    await project_in_tx(session, event, data)


SUBSCRIPTIONS: list[Subscription[Any]] = [
    on(spec, on_any_event) for spec in REGISTRY.all() if spec.service != "statistics"
]
