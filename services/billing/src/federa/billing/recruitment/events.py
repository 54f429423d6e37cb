"""The recruitment gift's events: the one place a gift becomes a published contract."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.billing import (
    RECRUITMENT_GIFT_DUE,
    RECRUITMENT_GIFT_FULFILLED,
    RecruitmentGiftDueV1,
    RecruitmentGiftFulfilledV1,
)
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

Row = dict[str, Any]


async def record_due_in_tx(session: AsyncSession, gift: Row, recipient: Row | None) -> None:
    """`billing.recruitment_gift.due` (the gift's version 1), with the recipient's name and
    address as billing's member copy holds them now, for whoever ships the item."""
    address = recipient or {}
    data = RecruitmentGiftDueV1(
        gift_id=gift["id"],
        subscription_id=gift["subscription_id"],
        subscription_no=gift["subscription_no"],
        product_code=gift["product"],
        acquisition_channel=gift["acquisition_channel"],
        recruit_member_id=gift["recruit_member_id"],
        recruiter_member_id=gift["recruiter_member_id"],
        gift_item_no=gift["gift_item_no"],
        gift_to_new_member=gift["recipient"] == "recruit",
        recipient=gift["recipient"],
        recipient_member_id=gift["recipient_member_id"],
        recipient_name=address.get("name"),
        recipient_address=address.get("address"),
        recipient_address_2=address.get("address_2"),
        recipient_postcode=address.get("postcode"),
        recipient_city=address.get("city"),
        recipient_country_code=address.get("country_code"),
        document_id=gift["document_id"],
        document_no=gift["document_no"],
        payment_id=gift["payment_id"],
        paid_on=gift["paid_on"],
    )
    await record_event_in_tx(
        session,
        new_event(
            RECRUITMENT_GIFT_DUE,
            data,
            subject=str(gift["id"]),
            tenant=gift["tenant"],
            aggregate_version=gift["version"],
        ),
    )


async def record_fulfilled_in_tx(
    session: AsyncSession, gift: Row, *, version: int, invoice_no: str, posting_date: date
) -> None:
    data = RecruitmentGiftFulfilledV1(
        gift_id=gift["id"],
        subscription_id=gift["subscription_id"],
        gift_item_no=gift["gift_item_no"],
        recipient_member_id=gift["recipient_member_id"],
        invoice_document_id=gift["invoice_document_id"],
        invoice_no=invoice_no,
        posting_date=posting_date,
    )
    await record_event_in_tx(
        session,
        new_event(
            RECRUITMENT_GIFT_FULFILLED,
            data,
            subject=str(gift["id"]),
            tenant=gift["tenant"],
            aggregate_version=version,
        ),
    )
