"""Reading subscriptions: one, a filtered page, a lifecycle, a quote."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.store import load_catalogue
from federa.billing.domain.quote import Quote, quote
from federa.billing.domain.subscription import LifecycleEntry, delivery_address_on
from federa.billing.member_addresses import delivery_address
from federa.billing.member_copy import member_facts
from federa.billing.scope import Scope, visible_subscriptions
from federa.billing.storage.tables import lifecycle_entries, members, subscriptions
from federa.billing.subscriptions.store import (
    Row,
    StoredSubscription,
    entry_of,
    lifecycle_rows,
    load_visible,
    state_of,
    status_on,
)


async def list_subscriptions(
    session: AsyncSession,
    scope: Scope,
    *,
    member_id: uuid.UUID | None,
    status: str | None,
    product: str | None,
    limit: int,
    offset: int,
) -> tuple[list[StoredSubscription], int]:
    """Visible subscriptions in subscription-number order; `status` is the status today."""
    where = [visible_subscriptions(scope)]
    if member_id is not None:
        where.append(subscriptions.c.member_id == member_id)
    if status is not None:
        where.append(status_on(date.today()) == status)
    if product is not None:
        where.append(subscriptions.c.product == product)
    total = (
        await session.execute(select(func.count()).select_from(subscriptions).where(*where))
    ).scalar_one()
    rows = [
        dict(row)
        for row in (
            await session.execute(
                select(subscriptions)
                .where(*where)
                .order_by(subscriptions.c.subscription_no)
                .limit(limit)
                .offset(offset)
            )
        ).mappings()
    ]
    entries = await _entries_of(session, [row["id"] for row in rows])
    page = [StoredSubscription(row, state_of(row, entries[row["id"]])) for row in rows]
    return page, int(total)


async def _entries_of(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[LifecycleEntry]]:
    found: dict[uuid.UUID, list[LifecycleEntry]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.execute(
        select(lifecycle_entries)
        .where(lifecycle_entries.c.subscription_id.in_(ids))
        .order_by(lifecycle_entries.c.subscription_id, lifecycle_entries.c.position)
    )
    for row in rows.mappings():
        found[row["subscription_id"]].append(entry_of(dict(row)))
    return found


async def lifecycle_of(
    session: AsyncSession, scope: Scope, subscription_id: uuid.UUID
) -> list[Row]:
    await load_visible(session, scope, subscription_id)
    return await lifecycle_rows(session, subscription_id)


async def quote_of(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    *,
    bill_through: date,
    use_value_bands: bool,
) -> tuple[StoredSubscription, Quote, str]:
    """The quote, with the tenant's currency."""
    stored = await load_visible(session, scope, subscription_id)
    catalogue = await load_catalogue(session, scope.tenant)
    member = (
        (
            await session.execute(
                select(members).where(members.c.member_id == stored.state.member_id)
            )
        )
        .mappings()
        .one()
    )
    facts = await member_facts(session, dict(member), date.today())
    result = quote(
        stored.state,
        catalogue.catalogue,
        facts,
        bill_through=bill_through,
        use_value_bands=use_value_bands,
    )
    return stored, result, catalogue.settings.currency


async def delivery_address_of(
    session: AsyncSession, stored: StoredSubscription, day: date
) -> dict[str, Any] | None:
    """The address of the number in effect on `day` (SPEC §2.2 rule 11)."""
    return await delivery_address(
        session,
        stored.row["tenant"],
        stored.state.member_id,
        delivery_address_on(stored.state, day),
    )
