"""Document events: the one place an issued document becomes a published contract."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.e_invoice import e_invoice_v1
from federa.billing.documents.store import IssuedDocument
from federa.billing.domain.documents import DocumentKind, DocumentLine
from federa.shared.contracts.billing import (
    CREDIT_MEMO_ISSUED,
    DOCUMENT_ISSUED,
    CreditMemoIssuedV1,
    DocumentIssuedV1,
    DocumentLineV1,
)
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.messaging.outbox import record_events_in_tx


def _whole(value: Decimal) -> int | None:
    return int(value) if value == value.to_integral_value() else None


def line_v1(line: DocumentLine) -> DocumentLineV1:
    """The contract's line has whole quantities and unit prices; a line priced by a rate
    (payroll, value bands) or pro rata carries quantity 1 and its amount as unit price, and
    the exact figures stay on the stored line."""
    quantity, unit_price = _whole(line.quantity), _whole(line.unit_price)
    if quantity is None or unit_price is None or quantity * unit_price != line.amount:
        quantity, unit_price = 1, line.amount
    return DocumentLineV1(
        line_no=line.line_no,
        kind=line.kind,
        subscription_id=line.subscription_id,
        subscription_no=line.subscription_no,
        member_id=line.member_id,
        product_code=line.product_code,
        price_code=line.price_code,
        description=line.description,
        quantity=quantity,
        unit_price=unit_price,
        amount=line.amount,
        vat_rate=line.vat_rate,
        vat_amount=line.vat_amount,
        posting_type=line.accounting.posting_type,
        revenue_account=line.accounting.revenue_account,
        dimension_1=line.accounting.dimension_1,
        dimension_2=line.accounting.dimension_2,
        period_from=line.period_from,
        period_to=line.period_to,
        branch_organisation_id=line.branch_organisation,
        branch_share=line.branch_share,
        deferral_account=line.deferral_account,
    )


def issued_event(doc: IssuedDocument, *, correlation_id: str | None = None) -> CloudEvent:
    draft = doc.draft
    lines = [line_v1(line) for line in draft.lines]
    if draft.kind is DocumentKind.CREDIT_MEMO:
        return new_event(
            CREDIT_MEMO_ISSUED,
            CreditMemoIssuedV1(
                credit_memo_id=draft.id,
                credit_memo_no=doc.document_no,
                credited_document_id=draft.credits,
                credited_document_no=doc.credits_document_no,
                payer_account_id=draft.payer,
                member_id=draft.member,
                organisation_id=draft.organisation,
                posting_date=draft.posting_date,
                currency=doc.currency,
                total_amount=draft.total_amount,
                vat_amount=draft.vat_amount,
                reason=draft.credit_reason or "",
                lines=lines,
            ),
            subject=str(draft.id),
            tenant=doc.tenant,
            aggregate_version=1,
            correlation_id=correlation_id,
        )
    return new_event(
        DOCUMENT_ISSUED,
        DocumentIssuedV1(
            document_id=draft.id,
            kind=draft.kind.value,
            document_no=doc.document_no,
            payer_account_id=draft.payer,
            payer_number=doc.payer_number,
            member_id=draft.member,
            organisation_id=draft.organisation,
            billing_run_id=doc.billing_run_id,
            posting_date=draft.posting_date,
            due_date=draft.due_date,
            currency=doc.currency,
            total_amount=draft.total_amount,
            vat_amount=draft.vat_amount,
            payment_reference=doc.payment_reference,
            lines=lines,
            e_invoice=e_invoice_v1(doc.e_invoice),
        ),
        subject=str(draft.id),
        tenant=doc.tenant,
        aggregate_version=1,
        correlation_id=correlation_id,
    )


async def record_issued_in_tx(
    session: AsyncSession, issued: Sequence[IssuedDocument], *, correlation_id: str | None = None
) -> None:
    await record_events_in_tx(
        session, [issued_event(doc, correlation_id=correlation_id) for doc in issued], copy=True
    )
