"""Deleting an open order or draft, and closing unpaid orders at zero (SPEC §2.2 rule 36,
`DeleteOrderLines/Documents`, `CloseUnpaidOrdersAtZero`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.credits import (
    lock_document,
    lock_subscriptions,
    rewind_in_tx,
    subscriptions_on,
)
from federa.billing.documents.queries import load_document, visible_documents
from federa.billing.domain.orders import CloseCriteria, OpenOrder
from federa.billing.orders.cancellation import cancel_in_tx, ensure_open
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import document_lines, documents
from federa.shared.db import Database

Row = dict[str, Any]
BATCH = 100


async def delete_open_document_in_tx(
    session: AsyncSession, scope: Scope, document_id: uuid.UUID, *, actor: str
) -> Row:
    """An open order or draft is cancelled (`deleted`), its periods unbilled again; a posted
    document is 409 (credit it instead)."""
    ensure_open(await load_document(session, scope, document_id))
    charged = await subscriptions_on(session, document_id)
    await lock_subscriptions(session, charged)
    head = await lock_document(session, document_id)
    await cancel_in_tx(session, head, reason="deleted", actor=actor, undo=charged)
    await rewind_in_tx(session, charged, actor=actor)
    return await load_document(session, scope, document_id)


@dataclass
class Closed:
    document_ids: list[uuid.UUID] = field(default_factory=list)


async def _products(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    found: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    rows = await session.execute(
        select(document_lines.c.document_id, document_lines.c.product_code).where(
            document_lines.c.document_id.in_(ids), document_lines.c.product_code.is_not(None)
        )
    )
    for row in rows:
        found[row.document_id].add(row.product_code)
    return found


async def close_at_zero(
    db: Database, scope: Scope, criteria: CloseCriteria, *, actor: str
) -> Closed:
    """Batches of open orders, one transaction each, taken `FOR UPDATE SKIP LOCKED` so a
    payment posting an order meanwhile is never waited for; a retry finds the closed ones
    closed (idempotent)."""
    closed = Closed()
    skipped: set[uuid.UUID] = set()
    while True:
        async with db.transaction() as session:
            query = (
                select(documents)
                .where(
                    visible_documents(scope),
                    documents.c.kind == "order",
                    documents.c.status == "open",
                    documents.c.posting_date < criteria.posting_date_before,
                )
                .order_by(documents.c.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            if criteria.billing_run_id is not None:
                query = query.where(documents.c.billing_run_id == criteria.billing_run_id)
            if skipped:
                query = query.where(documents.c.id.not_in(skipped))
            heads = [dict(r) for r in (await session.execute(query)).mappings()]
            if not heads:
                return closed
            products = await _products(session, [h["id"] for h in heads])
            for head in heads:
                order = OpenOrder(
                    head["kind"],
                    head["status"],
                    head["posting_date"],
                    head["billing_run_id"],
                    products[head["id"]],
                )
                if not criteria.takes(order):
                    skipped.add(head["id"])
                    continue
                await cancel_in_tx(session, head, reason="closed_at_zero", actor=actor)
                closed.document_ids.append(head["id"])
