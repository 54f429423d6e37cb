"""Reading recruitment gifts: the page, one gift, and the export of a paid window with names
and addresses from billing's member copy (as they are now: the file is for shipping today)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.recruitment_gifts import (
    ExportRow,
    Person,
    Recipient,
    check_window,
)
from federa.billing.scope import Scope, visible_subscriptions
from federa.billing.storage.recruitment_tables import recruitment_gifts
from federa.billing.storage.tables import members, subscriptions
from federa.shared.http.problems import Problem

Row = dict[str, Any]

recruiter = members.alias("recruiter")
recruit = members.alias("recruit")
PERSON_FIELDS = ("member_number", "name", "address", "address_2", "postcode", "city")


@dataclass(frozen=True)
class GiftFilter:
    """The export's filters (MM 2013 §9.8: product, acquisition channel, item; the window in
    which the charge was paid, both days included)."""

    paid_from: date | None = None
    paid_to: date | None = None
    product: str | None = None
    acquisition_channel: str | None = None
    gift_item_no: str | None = None
    fulfilled: bool | None = None
    gift_ids: tuple[uuid.UUID, ...] = ()


def visible_gifts(scope: Scope) -> ColumnElement[bool]:
    """A gift is visible with its recruited subscription (the recruit's organisations)."""
    return and_(
        recruitment_gifts.c.tenant == scope.tenant,
        recruitment_gifts.c.subscription_id.in_(
            select(subscriptions.c.id).where(visible_subscriptions(scope))
        ),
    )


def matching(scope: Scope, wanted: GiftFilter) -> list[ColumnElement[bool]]:
    check_window(wanted.paid_from, wanted.paid_to)
    gifts = recruitment_gifts.c
    where = [visible_gifts(scope)]
    if wanted.paid_from is not None:
        where.append(gifts.paid_on >= wanted.paid_from)
    if wanted.paid_to is not None:
        where.append(gifts.paid_on <= wanted.paid_to)
    if wanted.product is not None:
        where.append(gifts.product == wanted.product)
    if wanted.acquisition_channel is not None:
        where.append(gifts.acquisition_channel == wanted.acquisition_channel)
    if wanted.gift_item_no is not None:
        where.append(gifts.gift_item_no == wanted.gift_item_no)
    if wanted.fulfilled is not None:
        where.append(
            gifts.invoice_document_id.is_not(None)
            if wanted.fulfilled
            else gifts.invoice_document_id.is_(None)
        )
    if wanted.gift_ids:
        where.append(gifts.id.in_(wanted.gift_ids))
    return where


def _with_people(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return (
        select(
            recruitment_gifts,
            *(recruiter.c[f].label(f"recruiter_{f}") for f in (*PERSON_FIELDS, "country_code")),
            *(recruit.c[f].label(f"recruit_{f}") for f in (*PERSON_FIELDS, "country_code")),
        )
        .select_from(
            recruitment_gifts.outerjoin(
                recruiter, recruiter.c.member_id == recruitment_gifts.c.recruiter_member_id
            ).outerjoin(recruit, recruit.c.member_id == recruitment_gifts.c.recruit_member_id)
        )
        .where(*where)
        # The order staff read and ship in: by paid date, then subscription number.
        .order_by(recruitment_gifts.c.paid_on, recruitment_gifts.c.subscription_no)
    )


async def list_gifts(
    session: AsyncSession, scope: Scope, wanted: GiftFilter, *, limit: int, offset: int
) -> tuple[list[Row], int]:
    where = matching(scope, wanted)
    total = (
        await session.execute(select(func.count()).select_from(recruitment_gifts).where(*where))
    ).scalar_one()
    rows = await session.execute(_with_people(where).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def load_gift(session: AsyncSession, scope: Scope, gift_id: uuid.UUID) -> Row:
    row = (
        (
            await session.execute(
                _with_people([visible_gifts(scope), recruitment_gifts.c.id == gift_id])
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "recruitment-gift-not-found", "Not found", f"No recruitment gift {gift_id}."
        )
    return dict(row)


def _person(row: Row, prefix: str) -> Person:
    return Person(
        member_number=row[f"{prefix}_member_number"],
        name=row[f"{prefix}_name"],
        address=row[f"{prefix}_address"],
        address_2=row[f"{prefix}_address_2"],
        postcode=row[f"{prefix}_postcode"],
        city=row[f"{prefix}_city"],
        country_code=row[f"{prefix}_country_code"],
    )


async def export_rows(session: AsyncSession, scope: Scope, wanted: GiftFilter) -> list[ExportRow]:
    rows = await session.execute(_with_people(matching(scope, wanted)))
    return [
        ExportRow(
            paid_on=row["paid_on"],
            gift_item_no=row["gift_item_no"],
            recipient=Recipient(row["recipient"]),
            recruiter=_person(row, "recruiter"),
            recruit=_person(row, "recruit"),
            subscription_no=row["subscription_no"],
            product=row["product"],
            acquisition_channel=row["acquisition_channel"],
            document_no=row["document_no"],
            invoice_no=row["invoice_no"],
        )
        for row in (dict(r) for r in rows.mappings())
    ]
