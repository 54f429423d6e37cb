"""Reading the ledger: open items, balances per payer and per member, ageing, reconciliation.

The reconciliation is the ledger's own proof: for every payer, the documents minus the
applications, write-offs, credits and cancellations recorded in `ledger_entries` must equal the
remaining amounts of its items; for every payment, its amount must equal what was applied,
given, refunded and what still waits as an open exception.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.scope import Scope, visible_items
from federa.payments.storage.tables import ledger_entries, payment_exceptions, receivables

# Ageing buckets by days past due on the reference date.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("not_due", -(10**6), 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)
# What each ledger entry kind does to what the payer owes.
OWED_SIGN = {"document": 1, "application": -1, "writeoff": -1, "credit": -1, "cancellation": -1}


async def open_items(
    session: AsyncSession,
    scope: Scope,
    *,
    payer_account_id: uuid.UUID | None = None,
    member_id: uuid.UUID | None = None,
    status: str | None = "open",
    overdue_on: date | None = None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where = [visible_items(scope), receivables.c.status != "draft"]
    if status is not None:
        where.append(receivables.c.status == status)
    if payer_account_id is not None:
        where.append(receivables.c.payer_account_id == payer_account_id)
    if member_id is not None:
        where.append(receivables.c.member_id == member_id)
    if overdue_on is not None:
        where.append(receivables.c.due_date < overdue_on)
    total = (
        await session.execute(select(func.count()).select_from(receivables).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(receivables)
        .where(*where)
        .order_by(receivables.c.due_date, receivables.c.document_no, receivables.c.document_id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def item(
    session: AsyncSession, scope: Scope, document_id: uuid.UUID
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(receivables).where(
                    visible_items(scope), receivables.c.document_id == document_id
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def item_entries(
    session: AsyncSession, tenant: str, document_id: uuid.UUID
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(ledger_entries)
        .where(ledger_entries.c.tenant == tenant, ledger_entries.c.document_id == document_id)
        .order_by(ledger_entries.c.entry_id)
    )
    return [dict(r) for r in rows.mappings()]


@dataclass(frozen=True)
class Balance:
    key: uuid.UUID
    currency: str
    open_amount: int
    overdue_amount: int
    open_items: int
    ageing: dict[str, int]
    # Money of the payer's that waits: open exceptions and credits on account.
    unapplied: int = 0


def _bucket_columns(on: date) -> list[Any]:
    days = literal(on) - receivables.c.due_date
    columns = []
    for name, low, high in BUCKETS:
        condition = days >= low if high is None else (days >= low) & (days <= high)
        columns.append(
            func.coalesce(func.sum(case((condition, receivables.c.remaining), else_=0)), 0).label(
                name
            )
        )
    return columns


async def balances(
    session: AsyncSession,
    scope: Scope,
    *,
    by: str,
    on: date,
    key: uuid.UUID | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Balance], int]:
    """Open amounts per payer (`by="payer"`) or per member, with ageing on date `on`."""
    column = receivables.c.payer_account_id if by == "payer" else receivables.c.member_id
    where = [visible_items(scope), receivables.c.status == "open", column.is_not(None)]
    if key is not None:
        where.append(column == key)
    grouped = (
        select(
            column.label("key"),
            receivables.c.currency,
            func.sum(receivables.c.remaining).label("open_amount"),
            func.coalesce(
                func.sum(case((receivables.c.due_date < on, receivables.c.remaining), else_=0)), 0
            ).label("overdue_amount"),
            func.count().label("open_items"),
            *_bucket_columns(on),
        )
        .where(*where)
        .group_by(column, receivables.c.currency)
    )
    total = (
        await session.execute(select(func.count()).select_from(grouped.subquery()))
    ).scalar_one()
    rows = (
        (await session.execute(grouped.order_by(column).limit(limit).offset(offset)))
        .mappings()
        .all()
    )
    unapplied: dict[uuid.UUID, int] = {}
    if by == "payer" and rows:
        unapplied = await unapplied_of(session, scope.tenant, [r["key"] for r in rows])
    return [
        Balance(
            key=r["key"],
            currency=r["currency"],
            open_amount=int(r["open_amount"]),
            overdue_amount=int(r["overdue_amount"]),
            open_items=int(r["open_items"]),
            ageing={name: int(r[name]) for name, _, _ in BUCKETS},
            unapplied=unapplied.get(r["key"], 0),
        )
        for r in rows
    ], int(total)


async def unapplied_of(
    session: AsyncSession, tenant: str, payers: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    waiting = await session.execute(
        select(payment_exceptions.c.payer_account_id, func.sum(payment_exceptions.c.amount))
        .where(
            payment_exceptions.c.tenant == tenant,
            payment_exceptions.c.status == "open",
            payment_exceptions.c.payer_account_id.in_(payers),
        )
        .group_by(payment_exceptions.c.payer_account_id)
    )
    result = {r[0]: int(r[1]) for r in waiting}
    credits = await session.execute(
        select(ledger_entries.c.payer_account_id, func.sum(ledger_entries.c.amount))
        .where(
            ledger_entries.c.tenant == tenant,
            ledger_entries.c.kind == "credit_on_account",
            ledger_entries.c.payer_account_id.in_(payers),
        )
        .group_by(ledger_entries.c.payer_account_id)
    )
    for payer, amount in credits:
        result[payer] = result.get(payer, 0) + int(amount)
    return result


_PAYER_MISMATCHES = text(
    """
    WITH ledger AS (
        SELECT payer_account_id AS payer,
               sum(CASE kind WHEN 'document' THEN amount
                             WHEN 'application' THEN -amount
                             WHEN 'writeoff' THEN -amount
                             WHEN 'credit' THEN -amount
                             WHEN 'cancellation' THEN -amount
                             ELSE 0 END) AS owed,
               sum(CASE kind WHEN 'document' THEN amount ELSE 0 END) AS documents,
               sum(CASE kind WHEN 'application' THEN amount ELSE 0 END) AS applications,
               sum(CASE kind WHEN 'writeoff' THEN amount ELSE 0 END) AS writeoffs,
               sum(CASE kind WHEN 'credit' THEN amount WHEN 'cancellation' THEN amount
                        ELSE 0 END) AS credits
        FROM ledger_entries
        WHERE tenant = :tenant AND document_id IS NOT NULL
          AND kind IN ('document', 'application', 'writeoff', 'credit', 'cancellation')
        GROUP BY payer_account_id
    ), items AS (
        SELECT payer_account_id AS payer, sum(remaining) AS open
        FROM receivables WHERE tenant = :tenant AND status <> 'draft'
        GROUP BY payer_account_id
    )
    SELECT coalesce(l.payer, i.payer) AS payer,
           coalesce(l.documents, 0) AS documents, coalesce(l.applications, 0) AS applications,
           coalesce(l.writeoffs, 0) AS writeoffs, coalesce(l.credits, 0) AS credits,
           coalesce(l.owed, 0) AS ledger_open, coalesce(i.open, 0) AS items_open
    FROM ledger l FULL JOIN items i ON l.payer = i.payer
    """
)

_PAYMENT_MISMATCHES = text(
    """
    WITH used AS (
        SELECT payment_id, sum(amount) AS amount FROM ledger_entries
        WHERE tenant = :tenant AND payment_id IS NOT NULL
          AND kind IN ('application', 'gift', 'refund')
        GROUP BY payment_id
    ), waiting AS (
        SELECT payment_id, sum(amount) AS amount FROM payment_exceptions
        WHERE tenant = :tenant AND status = 'open' GROUP BY payment_id
    )
    SELECT p.payment_id, p.amount,
           coalesce(u.amount, 0) AS used, coalesce(w.amount, 0) AS waiting
    FROM payments p
    LEFT JOIN used u ON u.payment_id = p.payment_id
    LEFT JOIN waiting w ON w.payment_id = p.payment_id
    WHERE p.tenant = :tenant AND p.amount <> coalesce(u.amount, 0) + coalesce(w.amount, 0)
    """
)


@dataclass(frozen=True)
class Reconciliation:
    balanced: bool
    payers: int
    documents: int
    applications: int
    writeoffs: int
    credits: int
    open_amount: int
    payer_mismatches: list[dict[str, Any]]
    payment_mismatches: list[dict[str, Any]]


async def reconcile(session: AsyncSession, tenant: str) -> Reconciliation:
    rows = (await session.execute(_PAYER_MISMATCHES, {"tenant": tenant})).mappings().all()
    mismatched = [
        {k: (str(v) if isinstance(v, uuid.UUID) else int(v)) for k, v in r.items()}
        for r in rows
        if r["ledger_open"] != r["items_open"]
    ]
    payments_off = [
        {k: (str(v) if isinstance(v, uuid.UUID) else int(v)) for k, v in r.items()}
        for r in (await session.execute(_PAYMENT_MISMATCHES, {"tenant": tenant})).mappings()
    ]
    return Reconciliation(
        balanced=not mismatched and not payments_off,
        payers=len(rows),
        documents=sum(int(r["documents"]) for r in rows),
        applications=sum(int(r["applications"]) for r in rows),
        writeoffs=sum(int(r["writeoffs"]) for r in rows),
        credits=sum(int(r["credits"]) for r in rows),
        open_amount=sum(int(r["items_open"]) for r in rows),
        payer_mismatches=mismatched[:100],
        payment_mismatches=payments_off[:100],
    )
