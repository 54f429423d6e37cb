"""Posting a draft invoice (SPEC §2.2 rule 28, *manual* mode): it becomes an immutable
invoice with the next gapless invoice number and its own payment reference."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.e_invoice import e_invoice_v1, fields_for_posting_in_tx
from federa.billing.documents.numbering import reserve_numbers_in_tx
from federa.billing.documents.queries import load_document
from federa.billing.domain.documents import DocumentKind
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import documents
from federa.shared.contracts.billing import DOCUMENT_POSTED, DocumentPostedV1
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx
from federa.shared.payment_reference import ReferenceSeries, payment_reference

Row = dict[str, Any]


async def post_draft_in_tx(session: AsyncSession, scope: Scope, document_id: uuid.UUID) -> Row:
    """Orders are posted when paid (payments' `payment.applied`, later), not here: 409."""
    row = await load_document(session, scope, document_id, for_update=True)
    if row["kind"] != DocumentKind.DRAFT_INVOICE.value or row["status"] != "open":
        raise Problem(
            409,
            "document-not-a-draft",
            "Refused in the current state",
            f"Document {row['document_no']} is a {row['status']} {row['kind']}; only open "
            "draft invoices are posted here.",
        )
    return await post_into_invoice_in_tx(session, row, posted_from=DocumentKind.DRAFT_INVOICE.value)


async def post_into_invoice_in_tx(
    session: AsyncSession, row: Row, *, posted_from: str, paid: bool = False
) -> Row:
    """Post the locked open document `row` (a draft, or an order when paid: SPEC §2.2 rule 28
    and flow F4) into an invoice: the next gapless invoice number, an invoice payment
    reference, `billing.document.posted`. Rule 35: a public customer's document lacking an
    e-invoice field is refused (409 `e-invoice-incomplete`) before a number is taken, unless
    it is `paid`: the money is in, and refusing would only leave it unbooked."""
    e_invoice = await fields_for_posting_in_tx(session, row, refuse_incomplete=not paid)
    block = await reserve_numbers_in_tx(session, row["tenant"], DocumentKind.INVOICE, 1)
    invoice_no = str(block.first)
    reference = payment_reference(ReferenceSeries.INVOICE, block.first)
    values = {
        "kind": DocumentKind.INVOICE.value,
        "status": "posted",
        "invoice_no": invoice_no,
        "posted_from": posted_from,
        "posted_at": datetime.now(UTC),
        "payment_reference": reference,
        "version": row["version"] + 1,
    }
    await session.execute(update(documents).where(documents.c.id == row["id"]).values(**values))
    await record_event_in_tx(
        session,
        new_event(
            DOCUMENT_POSTED,
            DocumentPostedV1(
                document_id=row["id"],
                posted_from=posted_from,
                invoice_no=invoice_no,
                payer_account_id=row["payer_account_id"],
                member_id=row["member_id"],
                organisation_id=row["organisation_id"],
                posting_date=row["posting_date"],
                due_date=row["due_date"],
                currency=row["currency"],
                total_amount=row["total_amount"],
                vat_amount=row["vat_amount"],
                payment_reference=reference,
                e_invoice=e_invoice_v1(e_invoice),
            ),
            subject=str(row["id"]),
            tenant=row["tenant"],
            aggregate_version=values["version"],
        ),
    )
    return {**row, **values}
