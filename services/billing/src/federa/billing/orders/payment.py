"""What billing does when payments applied a payment (`payments.payment.applied`, flow F4
step 3, SPEC §2.2 rules 23 and 28).

Per allocation to a document billing issued, once nothing remains open on it: an open order
is posted into an invoice (order mode's "payment request posted when paid"); each
subscription whose latest charge it is becomes `paid`; and a subscription whose first charge
it is, on a price code with `recalculate_start_on_payment`, starts on the payment's value
date (rule 23). A partly paid document changes nothing yet. Exactly once: the inbox skips a
redelivered event, and a document posted already is not posted again (another payment event
for the same order finds it posted).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.store import load_catalogue
from federa.billing.documents.credits import lock_document, lock_subscriptions
from federa.billing.documents.posting import post_into_invoice_in_tx
from federa.billing.domain.documents import DocumentKind
from federa.billing.domain.lifecycle import recalculate_start_on_payment
from federa.billing.domain.subscription import BillingStatus
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import billing_log, documents
from federa.billing.subscriptions.store import load_visible, save_new_version
from federa.shared.contracts.payments import AllocationV1, PaymentAppliedV1

log = logging.getLogger(__name__)

ACTOR = "payments:payment.applied"


async def apply_payment_in_tx(
    session: AsyncSession, tenant: str, payment: PaymentAppliedV1
) -> None:
    for allocation in payment.allocations:
        await _apply_allocation_in_tx(session, tenant, allocation, paid_on=payment.value_date)


async def _apply_allocation_in_tx(
    session: AsyncSession, tenant: str, allocation: AllocationV1, *, paid_on: date
) -> None:
    if allocation.amount <= 0 or allocation.remaining > 0:
        return  # a reversal, or not paid in full yet
    found = (
        await session.execute(
            select(documents.c.id).where(
                documents.c.id == allocation.document_id, documents.c.tenant == tenant
            )
        )
    ).scalar_one_or_none()
    if found is None:
        log.warning("payment applied to document %s billing does not know", allocation.document_id)
        return
    charges = (
        await session.execute(
            select(billing_log.c.subscription_id, billing_log.c.period_from).where(
                billing_log.c.document_id == found,
                billing_log.c.entry_kind == "charge",
                billing_log.c.credited_by_document_id.is_(None),
            )
        )
    ).all()
    # Subscriptions before the document, as every command takes them.
    await lock_subscriptions(session, [c.subscription_id for c in charges])
    head = await lock_document(session, found)
    if head["kind"] == DocumentKind.ORDER.value and head["status"] == "open":
        await post_into_invoice_in_tx(
            session, head, posted_from=DocumentKind.ORDER.value, paid=True
        )
    elif head["status"] != "posted":
        return  # a cancelled order or a draft: nothing was owed on it
    for charge in charges:
        await _mark_paid_in_tx(session, tenant, charge.subscription_id, charge.period_from, paid_on)


async def _mark_paid_in_tx(
    session: AsyncSession,
    tenant: str,
    subscription_id: uuid.UUID,
    period_from: date,
    paid_on: date,
) -> None:
    stored = await load_visible(session, Scope(tenant, True), subscription_id, for_update=True)
    state = stored.state
    if state.billed_from != period_from:
        return  # a later period is charged already: its own payment decides the status
    changed = replace(state, billing_status=BillingStatus.PAID)
    if period_from == state.from_date:
        catalogue = (await load_catalogue(session, tenant)).catalogue
        changed = recalculate_start_on_payment(changed, catalogue, paid_on=paid_on)
    if changed != state:
        await save_new_version(session, stored, changed, actor=ACTOR)
