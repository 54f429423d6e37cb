"""Subscription facts: refolded from the archive whenever anything about the subscription
arrives, so the row is the same whatever order its events came in."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain import subscriptions as rules
from federa.statistics.storage.archive import aggregate_events, lock_in_tx
from federa.statistics.storage.tables import (
    documents,
    subscription_charges,
    subscription_price_codes,
    subscriptions,
)

SUBSCRIPTION_EVENTS = "federa.billing.subscription."


async def lock_subscription_in_tx(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    await lock_in_tx(session, f"subscription:{subscription_id}")


async def _charges(session: AsyncSession, subscription_id: uuid.UUID) -> list[rules.Charge]:
    rows = await session.execute(
        select(
            subscription_charges.c.kind,
            subscription_charges.c.period_from,
            subscription_charges.c.period_to,
            subscription_charges.c.amount,
        )
        .select_from(
            subscription_charges.outerjoin(
                documents, documents.c.document_id == subscription_charges.c.source_id
            )
        )
        .where(
            subscription_charges.c.subscription_id == subscription_id,
            # A cancelled order or draft charged nothing.
            documents.c.cancelled_reason.is_(None),
        )
    )
    return [rules.Charge(r.kind == "credit", r.period_from, r.period_to, r.amount) for r in rows]


async def refresh_subscription_in_tx(
    session: AsyncSession, tenant: str, subscription_id: uuid.UUID
) -> None:
    """Fold the subscription's events and charges into its row (or remove it). The caller
    holds the subscription's lock."""
    events = await aggregate_events(session, tenant, str(subscription_id), SUBSCRIPTION_EVENTS)
    state = rules.fold_subscription(events)
    await session.execute(
        delete(subscription_price_codes).where(
            subscription_price_codes.c.subscription_id == subscription_id
        )
    )
    if state is None:
        await session.execute(
            delete(subscriptions).where(subscriptions.c.subscription_id == subscription_id)
        )
        return
    await session.execute(
        insert(subscription_price_codes).values(
            [
                {
                    "subscription_id": subscription_id,
                    "from_date": first,
                    "tenant": tenant,
                    "price_code": code,
                }
                for first, code in state.price_history
            ]
        )
    )
    charges = await _charges(session, subscription_id)
    billed = rules.billed_through(charges)
    values = {
        "subscription_id": state.subscription_id,
        "tenant": tenant,
        "subscription_no": state.subscription_no,
        "member_id": state.member_id,
        "payer_account_id": state.payer_account_id,
        "organisation_id": state.organisation_id,
        "product_code": state.product_code,
        "price_code": state.price_code,
        "from_date": state.from_date,
        "to_date": state.to_date,
        "stop_date": state.stop_date,
        "stop_reason": state.stop_reason,
        "billed_through": billed,
        "end_date": rules.end_date(state, billed),
        "monthly_revenue": rules.monthly_revenue(charges),
        "commitment_months": rules.commitment_months(state),
        "charge_interval_months": rules.charge_interval_months(charges),
        "delivered_qty": state.delivered_qty,
        "version": state.version,
    }
    # The fold is the whole truth, so it always overwrites: a charge that arrives later
    # changes the row without a newer subscription version.
    statement = insert(subscriptions).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["subscription_id"],
            set_={k: statement.excluded[k] for k in values if k != "subscription_id"},
        )
    )
