"""Subscriptions as rows: the domain's `SubscriptionState` with its lifecycle entries, a version
per change, and entries only ever appended (the database refuses anything else)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.subscription import (
    BillingStatus,
    CollectionChannel,
    LifecycleEntry,
    LifecycleKind,
    SubscriptionState,
    SubscriptionStatus,
    latest_start,
)
from federa.billing.scope import Scope, visible_subscriptions
from federa.billing.storage.tables import lifecycle_entries, subscriptions
from federa.shared.http.problems import Problem

Row = dict[str, Any]


@dataclass(frozen=True)
class StoredSubscription:
    row: Row  # id, tenant, version, timestamps and the state's columns
    state: SubscriptionState

    @property
    def id(self) -> uuid.UUID:
        subscription_id: uuid.UUID = self.row["id"]
        return subscription_id


def not_found(subscription_id: uuid.UUID) -> Problem:
    return Problem(
        404,
        "subscription-not-found",
        "Subscription not found",
        f"No subscription {subscription_id}.",
    )


def status_on(day: date) -> ColumnElement[str]:
    """The domain's `status_on(state, day)` in SQL, for filters over many subscriptions."""
    stopped = or_(
        and_(subscriptions.c.to_date.is_not(None), subscriptions.c.to_date < day),
        subscriptions.c.latest_start > day,
    )
    return case(
        (subscriptions.c.from_date > day, literal(SubscriptionStatus.NEW.value)),
        (stopped, literal(SubscriptionStatus.STOPPED.value)),
        else_=literal(SubscriptionStatus.ACTIVE.value),
    )


def entry_of(row: Row) -> LifecycleEntry:
    return LifecycleEntry(
        kind=LifecycleKind(row["kind"]),
        reason_code=row["reason_code"],
        effective=row["effective"],
        recorded_on=row["recorded_on"],
        old_value=row["old_value"],
        new_value=row["new_value"],
        to_date=row["to_date"],
    )


def state_of(row: Row, entries: Iterable[LifecycleEntry]) -> SubscriptionState:
    return SubscriptionState(
        subscription_no=row["subscription_no"],
        member_id=MemberId(row["member_id"]),
        product=row["product"],
        price_code=row["price_code"],
        payer=PayerId(row["payer_account_id"]),
        from_date=row["from_date"],
        registration_date=row["registration_date"],
        to_date=row["to_date"],
        stop_reason=row["stop_reason"],
        billed_from=row["billed_from"],
        billed_through=row["billed_through"],
        billing_status=BillingStatus(row["billing_status"]),
        billed_qty=row["billed_qty"],
        delivered_qty=row["delivered_qty"],
        persons=row["persons"],
        delivery_address_no=row["delivery_address_no"],
        organisation=None
        if row["organisation_id"] is None
        else OrganisationId(row["organisation_id"]),
        collection_channel=CollectionChannel(row["collection_channel"]),
        acquisition_channel=row["acquisition_channel"],
        campaign=row["campaign"],
        lifecycle=tuple(entries),
    )


def _values(state: SubscriptionState) -> Row:
    return {
        "member_id": state.member_id,
        "product": state.product,
        "price_code": state.price_code,
        "payer_account_id": state.payer,
        "from_date": state.from_date,
        "registration_date": state.registration_date,
        "to_date": state.to_date,
        "stop_reason": state.stop_reason,
        "latest_start": latest_start(state),
        "billed_from": state.billed_from,
        "billed_through": state.billed_through,
        "billing_status": state.billing_status.value,
        "billed_qty": state.billed_qty,
        "delivered_qty": state.delivered_qty,
        "persons": state.persons,
        "delivery_address_no": state.delivery_address_no,
        "organisation_id": state.organisation,
        "collection_channel": state.collection_channel.value,
        "acquisition_channel": state.acquisition_channel,
        "campaign": state.campaign,
    }


async def lifecycle_rows(session: AsyncSession, subscription_id: uuid.UUID) -> list[Row]:
    rows = await session.execute(
        select(lifecycle_entries)
        .where(lifecycle_entries.c.subscription_id == subscription_id)
        .order_by(lifecycle_entries.c.position)
    )
    return [dict(row) for row in rows.mappings()]


async def load_visible(
    session: AsyncSession, scope: Scope, subscription_id: uuid.UUID, *, for_update: bool = False
) -> StoredSubscription:
    """The subscription if the caller may see it; 404 otherwise (existence is not revealed).
    `for_update` holds the row lock, so commands on one subscription run one after another."""
    query = select(subscriptions).where(
        subscriptions.c.id == subscription_id, visible_subscriptions(scope)
    )
    if for_update:
        query = query.with_for_update(of=subscriptions)
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise not_found(subscription_id)
    entries = [entry_of(entry) for entry in await lifecycle_rows(session, subscription_id)]
    return StoredSubscription(dict(row), state_of(dict(row), entries))


async def _append_entries(
    session: AsyncSession,
    row: Row,
    entries: Iterable[LifecycleEntry],
    *,
    first_position: int,
    actor: str,
) -> None:
    values = [
        {
            "subscription_id": row["id"],
            "position": first_position + offset,
            "tenant": row["tenant"],
            "kind": entry.kind.value,
            "reason_code": entry.reason_code,
            "effective": entry.effective,
            "recorded_on": entry.recorded_on,
            "old_value": entry.old_value,
            "new_value": entry.new_value,
            "to_date": entry.to_date,
            "recorded_by": actor,
        }
        for offset, entry in enumerate(entries)
    ]
    if values:
        await session.execute(insert(lifecycle_entries).values(values))


async def insert_subscription(
    session: AsyncSession,
    tenant: str,
    state: SubscriptionState,
    *,
    actor: str,
    payer_reference: str | None = None,
) -> StoredSubscription:
    """The new subscription's row; `payer_reference` is invoicing data (rule 35c) beside the
    state, stored in the same insert."""
    stamp = datetime.now(UTC)
    row = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "subscription_no": state.subscription_no,
        **_values(state),
        "payer_reference": payer_reference,
        "version": 1,
        "created_at": stamp,
        "created_by": actor,
        "updated_at": stamp,
        "updated_by": actor,
    }
    await session.execute(insert(subscriptions).values(**row))
    await _append_entries(session, row, state.lifecycle, first_position=0, actor=actor)
    return StoredSubscription(row, state)


async def save_new_version(
    session: AsyncSession,
    stored: StoredSubscription,
    state: SubscriptionState,
    *,
    actor: str,
    **extra: Any,
) -> StoredSubscription:
    """Store `state` as the next version; its lifecycle entries beyond the stored ones are
    appended. The version check guards against a writer that did not hold the row lock."""
    known = len(stored.state.lifecycle)
    if state.lifecycle[:known] != stored.state.lifecycle:
        raise ValueError("lifecycle entries are append-only")
    values = {
        **_values(state),
        **extra,
        "version": stored.row["version"] + 1,
        "updated_at": datetime.now(UTC),
        "updated_by": actor,
    }
    result = await session.execute(
        update(subscriptions)
        .where(subscriptions.c.id == stored.id, subscriptions.c.version == stored.row["version"])
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Problem(
            409,
            "concurrent-change",
            "Changed concurrently",
            f"Subscription {stored.id} changed meanwhile; read it again.",
        )
    row = {**stored.row, **values}
    await _append_entries(session, row, state.lifecycle[known:], first_position=known, actor=actor)
    return StoredSubscription(row, state)
