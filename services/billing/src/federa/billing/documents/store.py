"""Documents as rows: numbered, with their lines, written in bulk inside the caller's
transaction; read back as the domain's lines for credits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.e_invoice import fields_row
from federa.billing.documents.numbering import (
    peek_numbers_in_tx,
    reserve_numbers_in_tx,
    sequence_of,
)
from federa.billing.domain.documents import (
    DocumentDraft,
    DocumentKind,
    DocumentLine,
    LineAccounting,
)
from federa.billing.domain.e_invoice import EInvoiceFields
from federa.billing.domain.ids import MemberId, OrganisationId
from federa.billing.domain.numbering import NumberBlock
from federa.billing.storage.documents_tables import document_lines, documents
from federa.billing.storage.e_invoice_tables import document_e_invoices
from federa.billing.storage.tables import payer_accounts
from federa.shared.db import is_any_of
from federa.shared.messaging.outbox import copy_rows_in_tx
from federa.shared.payment_reference import payment_reference

Row = dict[str, Any]


@dataclass(frozen=True)
class IssuedDocument:
    """A draft with its number: what is stored and published."""

    draft: DocumentDraft
    number: int
    tenant: str
    currency: str
    payer_number: int | None
    billing_run_id: uuid.UUID | None
    created_by: str
    credits_document_no: str | None = None
    # Rule 35: a public customer's e-invoice fields (documents/e_invoice.py).
    e_invoice: EInvoiceFields | None = None

    @property
    def document_no(self) -> str:
        return str(self.number)

    @cached_property
    def payment_reference(self) -> str:
        # Read for the document's row and again for its event; the check digit is not free
        # for a chunk's hundreds of documents.
        return payment_reference(self.draft.kind.reference_series, self.number)

    @property
    def status(self) -> str:
        return "posted" if self.draft.kind.posted_on_issue else "open"


async def payer_numbers(
    session: AsyncSession, payer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    ids = list(set(payer_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(payer_accounts.c.id, payer_accounts.c.number).where(
            is_any_of(payer_accounts.c.id, ids, "ids")
        )
    )
    return {row.id: row.number for row in rows}


def _counts(drafts: Sequence[DocumentDraft]) -> dict[DocumentKind, int]:
    return {kind: sum(1 for d in drafts if d.kind is kind) for kind in DocumentKind}


async def reserve_blocks_in_tx(
    session: AsyncSession, tenant: str, drafts: Sequence[DocumentDraft]
) -> dict[DocumentKind, NumberBlock]:
    """One block per kind for `drafts`. From here to the commit the sequence rows are locked."""
    return {
        kind: await reserve_numbers_in_tx(session, tenant, kind, count)
        for kind, count in _counts(drafts).items()
    }


async def peek_blocks_in_tx(
    session: AsyncSession, tenant: str, drafts: Sequence[DocumentDraft]
) -> dict[DocumentKind, NumberBlock]:
    """The blocks `reserve_blocks_in_tx` gives if no other transaction reserves first."""
    return {
        kind: await peek_numbers_in_tx(session, tenant, kind, count)
        for kind, count in _counts(drafts).items()
    }


def issue_drafts(
    drafts: Sequence[DocumentDraft],
    blocks: Mapping[DocumentKind, NumberBlock],
    *,
    tenant: str,
    currency: str,
    payer_numbers: Mapping[uuid.UUID, int],
    billing_run_id: uuid.UUID | None,
    created_by: str,
    credited_numbers: Mapping[uuid.UUID, str] | None = None,
    e_invoices: Mapping[uuid.UUID, EInvoiceFields] | None = None,
) -> list[IssuedDocument]:
    """The drafts with their numbers: each kind's block handed out in the drafts' order."""
    issued: list[IssuedDocument] = []
    for kind in DocumentKind:
        of_kind = [d for d in drafts if d.kind is kind]
        for draft, number in zip(of_kind, blocks[kind], strict=True):
            issued.append(
                IssuedDocument(
                    draft=draft,
                    number=number,
                    tenant=tenant,
                    currency=currency,
                    payer_number=payer_numbers.get(draft.payer),
                    billing_run_id=billing_run_id,
                    created_by=created_by,
                    credits_document_no=(
                        None
                        if draft.credits is None or credited_numbers is None
                        else credited_numbers.get(draft.credits)
                    ),
                    e_invoice=None if not e_invoices else e_invoices.get(draft.id),
                )
            )
    return issued


async def number_documents_in_tx(
    session: AsyncSession,
    tenant: str,
    drafts: Sequence[DocumentDraft],
    *,
    currency: str,
    billing_run_id: uuid.UUID | None,
    created_by: str,
    credited_numbers: dict[uuid.UUID, str] | None = None,
) -> list[IssuedDocument]:
    """Reserve one block per kind and give the drafts their numbers in order. Call it as late
    in the transaction as possible: from here to the commit the sequence rows are locked."""
    numbers = await payer_numbers(session, (d.payer for d in drafts))
    blocks = await reserve_blocks_in_tx(session, tenant, drafts)
    return issue_drafts(
        drafts,
        blocks,
        tenant=tenant,
        currency=currency,
        payer_numbers=numbers,
        billing_run_id=billing_run_id,
        created_by=created_by,
        credited_numbers=credited_numbers,
    )


def _document_row(doc: IssuedDocument, now: datetime) -> Row:
    draft = doc.draft
    posted = draft.kind.posted_on_issue
    return {
        "id": draft.id,
        "tenant": doc.tenant,
        "kind": draft.kind.value,
        "status": doc.status,
        "number_series": sequence_of(draft.kind),
        "number": doc.number,
        "document_no": doc.document_no,
        "invoice_no": doc.document_no if draft.kind is DocumentKind.INVOICE else None,
        "posted_from": None,
        "payer_account_id": draft.payer,
        "payer_number": doc.payer_number,
        "member_id": draft.member,
        "organisation_id": draft.organisation,
        "billing_run_id": doc.billing_run_id,
        "credits_document_id": draft.credits,
        "credit_reason": draft.credit_reason,
        "posting_date": draft.posting_date,
        "due_date": draft.due_date,
        "posted_at": now if posted else None,
        "currency": doc.currency,
        "net_amount": draft.net_amount,
        "vat_amount": draft.vat_amount,
        "total_amount": draft.total_amount,
        "payment_reference": doc.payment_reference,
        "version": 1,
        "created_at": now,
        "created_by": doc.created_by,
    }


def _line_row(document_id: uuid.UUID, line: DocumentLine) -> Row:
    return {
        "document_id": document_id,
        "line_no": line.line_no,
        "kind": line.kind,
        "subscription_id": line.subscription_id,
        "subscription_no": line.subscription_no,
        "member_id": line.member_id,
        "product_code": line.product_code,
        "price_code": line.price_code,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "amount": line.amount,
        "vat_rate": line.vat_rate,
        "vat_amount": line.vat_amount,
        "posting_type": line.accounting.posting_type,
        "revenue_account": line.accounting.revenue_account,
        "dimension_1": line.accounting.dimension_1,
        "dimension_2": line.accounting.dimension_2,
        "period_from": line.period_from,
        "period_to": line.period_to,
        "branch_organisation_id": line.branch_organisation,
        "branch_share": line.branch_share,
        "rule": line.rule,
        "deferral_account": line.deferral_account,
    }


async def copy_in_tx(session: AsyncSession, table: str, rows: Sequence[Row]) -> None:
    """Rows (dicts with the same keys) written with COPY: a chunk writes hundreds while it
    holds the number sequence's lock, and COPY is several times faster than INSERTs."""
    if rows:
        columns = list(rows[0])
        await copy_rows_in_tx(session, table, columns, [tuple(r[c] for c in columns) for r in rows])


@dataclass(frozen=True)
class DocumentRows:
    documents: list[Row]
    lines: list[Row]
    e_invoices: list[Row] = field(default_factory=list)


def document_rows(issued: Sequence[IssuedDocument]) -> DocumentRows:
    now = datetime.now(UTC)
    return DocumentRows(
        [_document_row(doc, now) for doc in issued],
        [_line_row(doc.draft.id, line) for doc in issued for line in doc.draft.lines],
        [
            fields_row(doc.draft.id, doc.tenant, doc.e_invoice)
            for doc in issued
            if doc.e_invoice is not None
        ],
    )


async def copy_documents_in_tx(session: AsyncSession, rows: DocumentRows) -> None:
    await copy_in_tx(session, documents.name, rows.documents)
    await copy_in_tx(session, document_lines.name, rows.lines)
    await copy_in_tx(session, document_e_invoices.name, rows.e_invoices)


async def insert_documents_in_tx(session: AsyncSession, issued: Sequence[IssuedDocument]) -> None:
    if issued:
        await copy_documents_in_tx(session, document_rows(issued))


def line_of(row: Row) -> DocumentLine:
    return DocumentLine(
        line_no=row["line_no"],
        kind=row["kind"],
        subscription_id=row["subscription_id"],
        subscription_no=row["subscription_no"],
        member_id=None if row["member_id"] is None else MemberId(row["member_id"]),
        product_code=row["product_code"],
        price_code=row["price_code"],
        description=row["description"],
        quantity=row["quantity"],
        unit_price=row["unit_price"],
        amount=row["amount"],
        vat_rate=row["vat_rate"],
        vat_amount=row["vat_amount"],
        accounting=LineAccounting(
            vat_rate=row["vat_rate"],
            posting_type=row["posting_type"],
            revenue_account=row["revenue_account"],
            dimension_1=row["dimension_1"],
            dimension_2=row["dimension_2"],
        ),
        period_from=row["period_from"],
        period_to=row["period_to"],
        branch_organisation=(
            None
            if row["branch_organisation_id"] is None
            else OrganisationId(row["branch_organisation_id"])
        ),
        branch_share=row["branch_share"],
        rule=row["rule"],
        deferral_account=row.get("deferral_account"),
    )


async def lines_of(
    session: AsyncSession, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentLine]]:
    found: dict[uuid.UUID, list[DocumentLine]] = {d: [] for d in document_ids}
    if not document_ids:
        return found
    rows = await session.execute(
        select(document_lines)
        .where(document_lines.c.document_id.in_(list(document_ids)))
        .order_by(document_lines.c.document_id, document_lines.c.line_no)
    )
    for row in rows.mappings():
        found[row["document_id"]].append(line_of(dict(row)))
    return found
