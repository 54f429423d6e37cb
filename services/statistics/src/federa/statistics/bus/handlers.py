"""What the statistics service does with the events it consumes: all of them.

Every event is archived (the raw envelope: the event log and the rebuild read it) in the
statement that claims it in the inbox, and then projected by the read model that cares about
its type, in the same transaction. Types nobody projects are still archived and logged.
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
    lock_key,
    refresh_subscription_in_tx,
)
from federa.statistics.storage.archive import claim_and_archive_in_tx
from federa.statistics.storage.writes import flush_writes_in_tx

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


# Projectors that only write (order-independent upserts and insert-once facts) and, with
# refreshes deferred, only note the subscriptions to refold: a rebuild may buffer their writes.
# Every other projector reads the read models, so the buffer is flushed before it runs.
WRITE_ONLY: frozenset[Projector] = frozenset(
    {
        copies.on_member_changed,
        copies.on_organisation_changed,
        copies.on_payer_account_changed,
        copies.on_price_code_changed,
        finance.on_document_issued,
        finance.on_document_posted,
        finance.on_credit_memo_issued,
        finance.on_payment_received,
        finance.on_payment_applied,
        finance.on_receivable_closed,
        on_subscription_event,
    }
)


async def project_in_tx(session: AsyncSession, event: CloudEvent, data: EventData) -> None:
    """Apply one archived event to the read models (the consumer and the rebuild)."""
    projector = PROJECTORS.get(event.type)
    if projector is None:
        return
    if projector not in WRITE_ONLY:
        await flush_writes_in_tx(session)
    await projector(session, event, data)


async def claim_in_tx(session: AsyncSession, consumer: str, event: CloudEvent) -> bool:
    """The inbox claim, with the event archived in the same statement."""
    locks = []
    if event.type.startswith(SUBSCRIPTION_EVENTS):
        # Taken before archiving, so a concurrent fold of the same subscription sees this one.
        locks.append(lock_key(uuid.UUID(str(event.data["subscription_id"]))))
    return await claim_and_archive_in_tx(session, consumer, event, locks=locks)


SUBSCRIPTIONS: list[Subscription[Any]] = [
    on(spec, project_in_tx, claim=claim_in_tx)
    for spec in REGISTRY.all()
    if spec.service != "statistics"
]
