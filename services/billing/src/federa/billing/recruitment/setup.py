"""What a recruitment earns: the gift item per acquisition channel, and each subscription's
recruiter and own gift item (SPEC §2.1 *Subscription* `recruited_by_member`,
`recruitment_gift_item`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.recruitment_gifts import GiftChannel
from federa.billing.scope import Scope
from federa.billing.storage.recruitment_tables import (
    recruitment_gift_channels,
    recruitment_gifts,
    subscription_recruitments,
)
from federa.billing.subscriptions.store import load_visible
from federa.shared.http.problems import Problem

Row = dict[str, Any]


async def gift_channels(session: AsyncSession, tenant: str) -> list[Row]:
    rows = await session.execute(
        select(recruitment_gift_channels)
        .where(recruitment_gift_channels.c.tenant == tenant)
        .order_by(recruitment_gift_channels.c.code)
    )
    return [dict(r) for r in rows.mappings()]


async def gift_channel(session: AsyncSession, tenant: str, code: str | None) -> GiftChannel | None:
    if code is None:
        return None
    row = (
        (
            await session.execute(
                select(recruitment_gift_channels).where(
                    recruitment_gift_channels.c.tenant == tenant,
                    recruitment_gift_channels.c.code == code,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    return GiftChannel(row["code"], row["gift_item_no"], row["gift_to_new_member"])


async def save_gift_channel_in_tx(
    session: AsyncSession, tenant: str, channel: GiftChannel, *, actor: str
) -> Row:
    values = {
        "gift_item_no": channel.gift_item_no,
        "gift_to_new_member": channel.gift_to_new_member,
        "updated_by": actor,
    }
    statement = insert(recruitment_gift_channels).values(tenant=tenant, code=channel.code, **values)
    row = (
        (
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[
                        recruitment_gift_channels.c.tenant,
                        recruitment_gift_channels.c.code,
                    ],
                    set_={**values, "updated_at": func.now()},
                ).returning(recruitment_gift_channels)
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


def refuse_self_recruitment(member_id: uuid.UUID, recruited_by: uuid.UUID | None) -> None:
    if recruited_by == member_id:
        raise Problem(
            422,
            "recruited-by-self",
            "Invalid request",
            "A member cannot recruit themselves.",
        )


async def record_recruitment_in_tx(
    session: AsyncSession,
    tenant: str,
    subscription_id: uuid.UUID,
    recruited_by: uuid.UUID | None,
    *,
    gift_item: str | None = None,
    actor: str,
) -> None:
    """Called by the start: a subscription naming a recruiter remembers it, so the gift can
    fall due when its first charge is paid. Nothing for a start without one."""
    if recruited_by is None:
        return
    values = {
        "recruited_by_member_id": recruited_by,
        "recruitment_gift_item": gift_item,
        "updated_by": actor,
    }
    await session.execute(
        insert(subscription_recruitments)
        .values(subscription_id=subscription_id, tenant=tenant, **values)
        .on_conflict_do_update(
            index_elements=[subscription_recruitments.c.subscription_id],
            set_={**values, "updated_at": func.now()},
        )
    )


async def recruitment_of(
    session: AsyncSession, scope: Scope, subscription_id: uuid.UUID
) -> Row | None:
    """The subscription's recruitment; 404 for a subscription the caller cannot see."""
    await load_visible(session, scope, subscription_id)
    row = (
        (
            await session.execute(
                select(subscription_recruitments).where(
                    subscription_recruitments.c.subscription_id == subscription_id
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def recruitments_by_subscription(
    session: AsyncSession, subscription_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Row]:
    """The recruitments of subscriptions the caller already read (a page of them): one query,
    keyed by subscription; a subscription without a recruiter is not in it."""
    if not subscription_ids:
        return {}
    rows = await session.execute(
        select(subscription_recruitments).where(
            subscription_recruitments.c.subscription_id.in_(subscription_ids)
        )
    )
    return {row["subscription_id"]: dict(row) for row in rows.mappings()}


async def set_recruitment_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    recruited_by: uuid.UUID,
    gift_item: str | None,
    *,
    actor: str,
) -> Row:
    """Set or correct a subscription's recruiter and gift item. A gift due already keeps what
    it was due with (409 `recruitment-gift-due`): its event went out."""
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    refuse_self_recruitment(stored.state.member_id, recruited_by)
    due = (
        await session.execute(
            select(recruitment_gifts.c.id).where(
                recruitment_gifts.c.subscription_id == subscription_id
            )
        )
    ).scalar_one_or_none()
    if due is not None:
        raise Problem(
            409,
            "recruitment-gift-due",
            "Refused in the current state",
            f"The recruitment gift of subscription {subscription_id} is due already ({due}).",
        )
    await record_recruitment_in_tx(
        session, scope.tenant, subscription_id, recruited_by, gift_item=gift_item, actor=actor
    )
    found = await recruitment_of(session, scope, subscription_id)
    assert found is not None
    return found
