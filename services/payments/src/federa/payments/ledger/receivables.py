"""The receivable ledger fed by billing's documents (SPEC §2.3 *Receivable*, flows F2, F4, F5).

- `document.issued`: an invoice or an order opens an item (orders exist only in order mode);
  a draft invoice is kept, not open, until `document.posted`;
- `document.posted`: a draft opens; an order that became an invoice takes its invoice number
  and keeps its amount and payments;
- `document.cancelled`: an order or draft closes at zero (a `cancellation` entry);
- `credit_memo.issued`: the credited item is reduced (a `credit` entry); what exceeds it, or a
  memo without an open item, is a credit on the payer's account (`credit_on_account`).

Order-safe: each item keeps the version of the newest billing event applied
(`source_version`); an older one changes nothing, and a cancellation that arrives before its
document leaves a closed placeholder the late `issued` does not reopen.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.events import Events
from federa.payments.storage.tables import ledger_entries, receivables
from federa.shared.contracts.billing import (
    CreditMemoIssuedV1,
    DocumentCancelledV1,
    DocumentIssuedV1,
    DocumentPostedV1,
)
from federa.shared.contracts.payments import RECEIVABLE_CLOSED, ReceivableClosedV1
from federa.shared.envelope import CloudEvent

OPENING_KINDS = ("invoice", "order")


async def _row(session: AsyncSession, document_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(receivables)
                .where(receivables.c.document_id == document_id)
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def _entry(
    session: AsyncSession, row: dict[str, Any], kind: str, amount: int, on: date
) -> None:
    await session.execute(
        ledger_entries.insert().values(
            tenant=row["tenant"],
            kind=kind,
            payer_account_id=row["payer_account_id"],
            document_id=row["document_id"],
            member_id=row["member_id"],
            amount=amount,
            currency=row["currency"],
            entry_date=on,
        )
    )


async def on_document_issued(
    session: AsyncSession, event: CloudEvent, data: DocumentIssuedV1
) -> None:
    if data.kind not in (*OPENING_KINDS, "draft_invoice"):
        return
    opening = data.kind in OPENING_KINDS
    values = {
        "document_id": data.document_id,
        "tenant": event.tenant,
        "kind": data.kind,
        "document_no": data.document_no,
        "payer_account_id": data.payer_account_id,
        "payer_number": data.payer_number,
        "member_id": data.member_id,
        "organisation_id": data.organisation_id,
        "posting_date": data.posting_date,
        "due_date": data.due_date,
        "currency": data.currency,
        "amount": data.total_amount,
        "remaining": data.total_amount,
        "payment_reference": data.payment_reference.replace(" ", ""),
        "posting_types": sorted({ln.posting_type for ln in data.lines if ln.posting_type}),
        "subscription_ids": sorted(
            {ln.subscription_id for ln in data.lines if ln.subscription_id}, key=str
        ),
        "status": ("open" if data.total_amount else "closed") if opening else "draft",
        "closed_how": None if data.total_amount or not opening else "paid",
        "version": 0,
        "source_version": event.aggregateversion,
    }
    created = await session.execute(
        insert(receivables)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(receivables.c.document_id)
    )
    if created.scalar_one_or_none() is None:
        # `posted` or `cancelled` came first: they hold the newer state; fill in what only
        # the issued event has.
        await session.execute(
            update(receivables)
            .where(receivables.c.document_id == data.document_id)
            .values(
                posting_types=values["posting_types"], subscription_ids=values["subscription_ids"]
            )
        )
        return
    if opening and data.total_amount:
        await _entry(session, values, "document", data.total_amount, data.posting_date)


async def on_document_posted(
    session: AsyncSession, event: CloudEvent, data: DocumentPostedV1
) -> None:
    row = await _row(session, data.document_id)
    if row is None:
        values = {
            "document_id": data.document_id,
            "tenant": event.tenant,
            "kind": "invoice",
            "document_no": data.invoice_no,
            "payer_account_id": data.payer_account_id,
            "member_id": data.member_id,
            "organisation_id": data.organisation_id,
            "posting_date": data.posting_date,
            "due_date": data.due_date,
            "currency": data.currency,
            "amount": data.total_amount,
            "remaining": data.total_amount,
            "payment_reference": data.payment_reference.replace(" ", ""),
            "status": "open" if data.total_amount else "closed",
            "version": 0,
            "source_version": event.aggregateversion,
        }
        await session.execute(insert(receivables).values(**values))
        if data.total_amount:
            await _entry(session, values, "document", data.total_amount, data.posting_date)
        return
    if row["source_version"] >= event.aggregateversion:
        return
    changes: dict[str, Any] = {
        "kind": "invoice",
        "document_no": data.invoice_no,
        "due_date": data.due_date,
        "source_version": event.aggregateversion,
    }
    if row["status"] == "draft":
        # A draft opens now, at the amount posted.
        changes.update(
            amount=data.total_amount,
            remaining=data.total_amount,
            posting_date=data.posting_date,
            status="open" if data.total_amount else "closed",
        )
        if data.total_amount:
            await _entry(
                session, {**row, **changes}, "document", data.total_amount, data.posting_date
            )
    await session.execute(
        update(receivables).where(receivables.c.document_id == data.document_id).values(**changes)
    )


async def on_document_cancelled(
    session: AsyncSession, event: CloudEvent, data: DocumentCancelledV1
) -> None:
    row = await _row(session, data.document_id)
    today = event.time.date()
    if row is None:
        # A placeholder, closed, so the late `issued` cannot open what billing cancelled.
        await session.execute(
            insert(receivables).values(
                document_id=data.document_id,
                tenant=event.tenant,
                kind=data.kind,
                document_no=data.document_no,
                payer_account_id=data.payer_account_id,
                member_id=data.member_id,
                posting_date=today,
                due_date=today,
                currency="",
                amount=0,
                remaining=0,
                payment_reference="",
                status="closed",
                closed_on=today,
                closed_how="cancelled",
                version=0,
                source_version=event.aggregateversion,
            )
        )
        return
    if row["source_version"] >= event.aggregateversion or row["status"] == "closed":
        return
    was_open = row["status"] == "open"
    if was_open and row["remaining"]:
        await _entry(session, row, "cancellation", row["remaining"], today)
    version = row["version"] + (1 if was_open else 0)
    await session.execute(
        update(receivables)
        .where(receivables.c.document_id == data.document_id)
        .values(
            remaining=0,
            status="closed",
            closed_on=today,
            closed_how="cancelled",
            version=version,
            source_version=event.aggregateversion,
        )
    )
    if was_open:
        events = Events(event.tenant, causation_id=event.id)
        _closed(events, row, today, "cancelled", version)
        await events.flush_in_tx(session)


async def on_credit_memo_issued(
    session: AsyncSession, event: CloudEvent, data: CreditMemoIssuedV1
) -> None:
    today = data.posting_date
    left = data.total_amount
    row = await _row(session, data.credited_document_id) if data.credited_document_id else None
    if row is not None and row["status"] == "open" and row["remaining"]:
        reduce = min(left, row["remaining"])
        left -= reduce
        await _entry(session, row, "credit", reduce, today)
        remaining = row["remaining"] - reduce
        version = row["version"] + (0 if remaining else 1)
        await session.execute(
            update(receivables)
            .where(receivables.c.document_id == row["document_id"])
            .values(
                remaining=remaining,
                status="open" if remaining else "closed",
                closed_on=None if remaining else today,
                closed_how=None if remaining else "credited",
                version=version,
            )
        )
        if not remaining:
            events = Events(event.tenant, causation_id=event.id)
            _closed(events, row, today, "credited", version)
            await events.flush_in_tx(session)
    if left:
        await session.execute(
            ledger_entries.insert().values(
                tenant=event.tenant,
                kind="credit_on_account",
                payer_account_id=data.payer_account_id,
                document_id=data.credit_memo_id,
                member_id=data.member_id,
                amount=left,
                currency=data.currency,
                entry_date=today,
                note=data.credit_memo_no,
            )
        )


def _closed(events: Events, row: dict[str, Any], on: date, how: str, version: int) -> None:
    events.add(
        RECEIVABLE_CLOSED,
        ReceivableClosedV1(
            document_id=row["document_id"],
            document_no=row["document_no"],
            payer_account_id=row["payer_account_id"],
            member_id=row["member_id"],
            closed_on=on,
            how=how,
        ),
        subject=row["document_id"],
        version=version,
    )
