"""Closing open items without payment (SPEC §2.3 rule 13, *Dan betalingsforslag af åbne
debitorposter*): a charge not expected to be paid while the member stays a member.

Each item selected is closed with a balancing `writeoff` entry of its remaining amount (note
`closed without payment`), announced as `writeoff.recorded` (reason `closed_without_payment`)
and `receivable.closed` (`written_off`). Nothing is selected by accident: at least one filter
is required, and only open items match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.events import Events
from federa.payments.ledger.posting import close_receivable
from federa.payments.ledger.workset import Workset, lock_payers_in_tx
from federa.payments.storage.tables import receivables
from federa.shared.contracts.payments import WRITEOFF_RECORDED, WriteoffRecordedV1
from federa.shared.http.problems import Problem

NOTE = "closed without payment"


@dataclass(frozen=True)
class Selection:
    document_ids: tuple[uuid.UUID, ...] = ()
    payer_account_id: uuid.UUID | None = None
    due_before: date | None = None


async def close_without_payment_in_tx(
    session: AsyncSession, tenant: str, selection: Selection
) -> tuple[int, int]:
    """(items closed, amount closed)."""
    if not (selection.document_ids or selection.payer_account_id or selection.due_before):
        raise Problem(
            422,
            "selection-required",
            "Say which items",
            "Give document_ids, payer_account_id or due_before.",
        )
    query = select(receivables.c.document_id, receivables.c.payer_account_id).where(
        receivables.c.tenant == tenant, receivables.c.status == "open"
    )
    if selection.document_ids:
        query = query.where(receivables.c.document_id.in_(selection.document_ids))
    if selection.payer_account_id is not None:
        query = query.where(receivables.c.payer_account_id == selection.payer_account_id)
    if selection.due_before is not None:
        query = query.where(receivables.c.due_date < selection.due_before)
    chosen = (await session.execute(query)).all()
    ws = Workset(tenant, datetime.now(UTC).date(), Events(tenant))
    await lock_payers_in_tx(session, ws, {row.payer_account_id for row in chosen})
    closed = amount = 0
    for row in chosen:
        receivable = ws.receivables.get(row.document_id)
        if receivable is None or receivable.item.remaining == 0:
            continue  # paid meanwhile
        remaining = receivable.item.remaining
        ws.ledger(
            "writeoff",
            remaining,
            receivable.currency,
            payer_account_id=receivable.payer_id,
            document_id=row.document_id,
            member_id=receivable.member_id,
            note=NOTE,
        )
        receivable.take(remaining)
        receivable.version += 1
        ws.events.add(
            WRITEOFF_RECORDED,
            WriteoffRecordedV1(
                document_id=row.document_id,
                document_no=receivable.item.document_no,
                payer_account_id=receivable.payer_id,
                member_id=receivable.member_id,
                amount=remaining,
                currency=receivable.currency,
                recorded_on=ws.today,
                reason="closed_without_payment",
            ),
            subject=row.document_id,
            version=receivable.version,
        )
        close_receivable(ws, receivable, "written_off")
        closed += 1
        amount += remaining
    await ws.flush_in_tx(session)
    return closed, amount
