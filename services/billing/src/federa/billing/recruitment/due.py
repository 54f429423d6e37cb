"""Gifts fall due when payments applied a payment (`payments.payment.applied`, SPEC flow item
"recruitment: `billing.recruitment_gift.due` when the charge is later paid").

Called by the payment handler after `orders/payment.py` has posted paid orders, in the same
transaction. Per allocation paying a document in full: each recruited subscription whose
*first* charge is on it gets its gift recorded as due, and `billing.recruitment_gift.due`
goes into the outbox. Exactly once per recruited subscription: the inbox skips a redelivered
event, and `recruitment_gifts` is unique per subscription (a second payment of the same
document, or of a re-issued first charge, records nothing more).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.documents import DocumentKind
from federa.billing.domain.ids import MemberId
from federa.billing.domain.recruitment_gifts import Recruitment, gift_terms, is_first_charge
from federa.billing.recruitment.events import record_due_in_tx
from federa.billing.recruitment.setup import gift_channel
from federa.billing.storage.documents_tables import billing_log, documents
from federa.billing.storage.recruitment_tables import recruitment_gifts, subscription_recruitments
from federa.billing.storage.tables import members, subscriptions
from federa.shared.contracts.payments import PaymentAppliedV1

log = logging.getLogger(__name__)

Row = dict[str, Any]


async def record_gifts_due_in_tx(
    session: AsyncSession, tenant: str, payment: PaymentAppliedV1
) -> None:
    for allocation in payment.allocations:
        if allocation.amount <= 0 or allocation.remaining > 0:
            continue  # a reversal, or not paid in full yet: no gift
        await _paid_document_in_tx(session, tenant, allocation.document_id, payment)


async def _paid_document_in_tx(
    session: AsyncSession, tenant: str, document_id: uuid.UUID, payment: PaymentAppliedV1
) -> None:
    head = (
        await session.execute(
            select(
                documents.c.id, documents.c.document_no, documents.c.kind, documents.c.status
            ).where(documents.c.id == document_id, documents.c.tenant == tenant)
        )
    ).one_or_none()
    # Only a posted invoice is paid (a paid order was posted into one just before); a draft,
    # a cancelled order or a document billing does not know earns nothing.
    if head is None or head.status != "posted" or head.kind != DocumentKind.INVOICE.value:
        return
    recruited = (
        await session.execute(
            select(
                billing_log.c.subscription_id,
                billing_log.c.period_from,
                subscriptions.c.subscription_no,
                subscriptions.c.member_id,
                subscriptions.c.product,
                subscriptions.c.acquisition_channel,
                subscription_recruitments.c.recruited_by_member_id,
                subscription_recruitments.c.recruitment_gift_item,
            )
            .join(subscriptions, subscriptions.c.id == billing_log.c.subscription_id)
            .join(
                subscription_recruitments,
                subscription_recruitments.c.subscription_id == billing_log.c.subscription_id,
            )
            .where(
                billing_log.c.document_id == head.id,
                billing_log.c.entry_kind == "charge",
                billing_log.c.credited_by_document_id.is_(None),
            )
            .order_by(subscriptions.c.subscription_no)
        )
    ).all()
    for charge in recruited:
        standing = (
            await session.execute(
                select(billing_log.c.period_from).where(
                    billing_log.c.subscription_id == charge.subscription_id,
                    billing_log.c.entry_kind == "charge",
                    billing_log.c.credited_by_document_id.is_(None),
                )
            )
        ).scalars()
        if not is_first_charge(charge.period_from, standing):
            continue  # a later period: the gift was earned (or not) by the first
        terms = gift_terms(
            Recruitment(
                MemberId(charge.member_id),
                MemberId(charge.recruited_by_member_id),
                charge.recruitment_gift_item,
            ),
            await gift_channel(session, tenant, charge.acquisition_channel),
        )
        if terms is None:
            log.info(
                "subscription %s was recruited but neither it nor its channel names a gift item",
                charge.subscription_id,
            )
            continue
        gift = (
            (
                await session.execute(
                    insert(recruitment_gifts)
                    .values(
                        id=uuid.uuid4(),
                        tenant=tenant,
                        subscription_id=charge.subscription_id,
                        subscription_no=charge.subscription_no,
                        product=charge.product,
                        acquisition_channel=charge.acquisition_channel,
                        recruit_member_id=charge.member_id,
                        recruiter_member_id=charge.recruited_by_member_id,
                        gift_item_no=terms.gift_item_no,
                        recipient=terms.recipient.value,
                        recipient_member_id=terms.recipient_member,
                        document_id=head.id,
                        document_no=head.document_no,
                        payment_id=payment.payment_id,
                        paid_on=payment.value_date,
                    )
                    .on_conflict_do_nothing(index_elements=[recruitment_gifts.c.subscription_id])
                    .returning(recruitment_gifts)
                )
            )
            .mappings()
            .one_or_none()
        )
        if gift is None:
            continue  # due already
        recipient = (
            (
                await session.execute(
                    select(members).where(members.c.member_id == terms.recipient_member)
                )
            )
            .mappings()
            .one_or_none()
        )
        await record_due_in_tx(session, dict(gift), None if recipient is None else dict(recipient))
