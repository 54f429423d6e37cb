"""Finance facts: documents, credit memos, payments and their allocations.

Each event writes only what it knows (an insert, or the columns it owns on the document row),
so the facts come out the same in any arrival order.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.billing import (
    CreditMemoIssuedV1,
    DocumentCancelledV1,
    DocumentIssuedV1,
    DocumentLineV1,
    DocumentPostedV1,
)
from federa.shared.contracts.payments import (
    PaymentAppliedV1,
    PaymentReceivedV1,
    ReceivableClosedV1,
)
from federa.shared.envelope import CloudEvent
from federa.statistics.projections.subscriptions import (
    lock_subscriptions_in_tx,
    refresh_subscription_in_tx,
)
from federa.statistics.storage.tables import (
    allocations,
    credit_memos,
    documents,
    payments,
    subscription_charges,
)
from federa.statistics.storage.writes import insert_once, write_in_tx

# Lines that are not the subscription's own revenue: a gift is the payer's, postage is
# passed on to the postal operator.
_NOT_REVENUE = frozenset({"gift", "postage"})


async def _document_in_tx(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert the document row or fill in the columns this event owns; columns another
    event owns are kept, and shared ones are filled only where still empty."""
    await write_in_tx(session, _document_upsert(tuple(sorted(values))), values)


@functools.lru_cache(maxsize=32)
def _document_upsert(columns: tuple[str, ...]) -> Insert:
    # One statement per shape (a handful of event kinds), with bind parameters: building it
    # and its cache key for every event cost more CPU than running it.
    statement = insert(documents).values({c: bindparam(c) for c in columns})
    owned = {"cancelled_reason", "closed_on", "closed_how", "invoice_no", "invoiced_on"}
    updates = {
        k: (
            statement.excluded[k]
            if k in owned
            else func.coalesce(documents.c[k], statement.excluded[k])
        )
        for k in columns
        if k not in ("document_id", "tenant")
    }
    return statement.on_conflict_do_update(index_elements=["document_id"], set_=updates)


async def _charges_in_tx(
    session: AsyncSession,
    tenant: str,
    source_id: Any,
    lines: list[DocumentLineV1],
    *,
    credit: bool,
) -> None:
    touched = sorted(
        {ln.subscription_id for ln in lines if ln.subscription_id and ln.kind not in _NOT_REVENUE}
    )
    await lock_subscriptions_in_tx(session, touched)
    rows = [
        {
            "source_id": source_id,
            "line_no": ln.line_no,
            "tenant": tenant,
            "subscription_id": ln.subscription_id,
            "kind": "credit" if credit else "charge",
            "period_from": ln.period_from,
            "period_to": ln.period_to,
            "amount": ln.amount,
        }
        for ln in lines
        if ln.subscription_id and ln.kind not in _NOT_REVENUE
    ]
    if rows:
        await write_in_tx(session, insert_once(subscription_charges, tuple(rows[0])), rows)
    for subscription_id in touched:
        await refresh_subscription_in_tx(session, tenant, subscription_id)


async def on_document_issued(
    session: AsyncSession, event: CloudEvent, data: DocumentIssuedV1
) -> None:
    await _document_in_tx(
        session,
        {
            "document_id": data.document_id,
            "tenant": event.tenant,
            "kind": data.kind,
            "document_no": data.document_no,
            "payer_account_id": data.payer_account_id,
            "member_id": data.member_id,
            "organisation_id": data.organisation_id,
            "posting_date": data.posting_date,
            "due_date": data.due_date,
            "currency": data.currency,
            "total_amount": data.total_amount,
            **(
                {"invoiced_on": data.posting_date, "invoice_no": data.document_no}
                if data.kind == "invoice"
                else {}
            ),
        },
    )
    await _charges_in_tx(session, event.tenant, data.document_id, data.lines, credit=False)


async def on_document_posted(
    session: AsyncSession, event: CloudEvent, data: DocumentPostedV1
) -> None:
    await _document_in_tx(
        session,
        {
            "document_id": data.document_id,
            "tenant": event.tenant,
            "kind": data.posted_from,
            "invoice_no": data.invoice_no,
            "invoiced_on": data.posting_date,
            "payer_account_id": data.payer_account_id,
            "member_id": data.member_id,
            "organisation_id": data.organisation_id,
            "posting_date": data.posting_date,
            "due_date": data.due_date,
            "currency": data.currency,
            "total_amount": data.total_amount,
        },
    )


async def on_document_cancelled(
    session: AsyncSession, event: CloudEvent, data: DocumentCancelledV1
) -> None:
    await _document_in_tx(
        session,
        {
            "document_id": data.document_id,
            "tenant": event.tenant,
            "kind": data.kind,
            "document_no": data.document_no,
            "payer_account_id": data.payer_account_id,
            "member_id": data.member_id,
            "cancelled_reason": data.reason,
        },
    )
    # The cancelled document's lines no longer bill their subscriptions.
    rows = await session.execute(
        select(subscription_charges.c.subscription_id)
        .where(subscription_charges.c.source_id == data.document_id)
        .distinct()
    )
    touched = sorted(r.subscription_id for r in rows)
    await lock_subscriptions_in_tx(session, touched)
    for subscription_id in touched:
        await refresh_subscription_in_tx(session, event.tenant, subscription_id)


async def on_credit_memo_issued(
    session: AsyncSession, event: CloudEvent, data: CreditMemoIssuedV1
) -> None:
    values = {
        "credit_memo_id": data.credit_memo_id,
        "tenant": event.tenant,
        "credited_document_id": data.credited_document_id,
        "member_id": data.member_id,
        "organisation_id": data.organisation_id,
        "posting_date": data.posting_date,
        "total_amount": data.total_amount,
    }
    await write_in_tx(session, insert_once(credit_memos, tuple(values)), values)
    await _charges_in_tx(session, event.tenant, data.credit_memo_id, data.lines, credit=True)


async def on_payment_received(
    session: AsyncSession, event: CloudEvent, data: PaymentReceivedV1
) -> None:
    values = {
        "payment_id": data.payment_id,
        "tenant": event.tenant,
        "amount": data.amount,
        "currency": data.currency,
        "value_date": data.value_date,
        "payer_account_id": data.payer_account_id,
        "source": data.source,
    }
    await write_in_tx(session, insert_once(payments, tuple(values)), values)


async def on_payment_applied(
    session: AsyncSession, event: CloudEvent, data: PaymentAppliedV1
) -> None:
    rows = [
        {
            "event_id": event.id,
            "position": i,
            "tenant": event.tenant,
            "payment_id": data.payment_id,
            "document_id": a.document_id,
            "value_date": data.value_date,
            "amount": a.amount,
        }
        for i, a in enumerate(data.allocations)
    ]
    if rows:
        await write_in_tx(session, insert_once(allocations, tuple(rows[0])), rows)


async def on_receivable_closed(
    session: AsyncSession, event: CloudEvent, data: ReceivableClosedV1
) -> None:
    await _document_in_tx(
        session,
        {
            "document_id": data.document_id,
            "tenant": event.tenant,
            "payer_account_id": data.payer_account_id,
            "member_id": data.member_id,
            "closed_on": data.closed_on,
            "closed_how": data.how,
        },
    )
