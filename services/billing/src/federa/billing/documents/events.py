"""Document events: the one place an issued document becomes a published contract.

A billing chunk publishes hundreds of these per transaction, so the payload is built straight
into the contract's JSON form rather than through the pydantic models (validating every line
of every document was a sixth of a worker's CPU). The models still say what the form is: each
batch's first payload is validated against its contract, and the tests validate them all."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.e_invoice import e_invoice_v1
from federa.billing.documents.store import IssuedDocument
from federa.billing.domain.documents import DocumentKind, DocumentLine
from federa.shared.contracts.billing import CREDIT_MEMO_ISSUED, DOCUMENT_ISSUED
from federa.shared.envelope import CloudEvent, current_traceparent, envelope_of
from federa.shared.messaging.outbox import record_events_in_tx

Json = dict[str, Any]


def _whole(value: Decimal) -> int | None:
    return int(value) if value == value.to_integral_value() else None


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def line_data(line: DocumentLine) -> Json:
    """`DocumentLineV1` in JSON form. The contract's line has whole quantities and unit prices;
    a line priced by a rate (payroll, value bands) or pro rata carries quantity 1 and its
    amount as unit price, and the exact figures stay on the stored line."""
    quantity, unit_price = _whole(line.quantity), _whole(line.unit_price)
    if quantity is None or unit_price is None or quantity * unit_price != line.amount:
        quantity, unit_price = 1, line.amount
    accounting = line.accounting
    return {
        "line_no": line.line_no,
        "kind": line.kind,
        "subscription_id": _id(line.subscription_id),
        "subscription_no": line.subscription_no,
        "member_id": _id(line.member_id),
        "product_code": line.product_code,
        "price_code": line.price_code,
        "description": line.description,
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": line.amount,
        "vat_rate": str(line.vat_rate),
        "vat_amount": line.vat_amount,
        "posting_type": accounting.posting_type,
        "revenue_account": accounting.revenue_account,
        "dimension_1": accounting.dimension_1,
        "dimension_2": accounting.dimension_2,
        "period_from": None if line.period_from is None else line.period_from.isoformat(),
        "period_to": None if line.period_to is None else line.period_to.isoformat(),
        "branch_organisation_id": _id(line.branch_organisation),
        "branch_share": line.branch_share,
        "deferral_account": line.deferral_account,
    }


def issued_data(doc: IssuedDocument) -> Json:
    """`DocumentIssuedV1` (or `CreditMemoIssuedV1` for a credit memo) in JSON form."""
    draft = doc.draft
    lines = [line_data(line) for line in draft.lines]
    if draft.kind is DocumentKind.CREDIT_MEMO:
        return {
            "credit_memo_id": str(draft.id),
            "credit_memo_no": doc.document_no,
            "credited_document_id": _id(draft.credits),
            "credited_document_no": doc.credits_document_no,
            "payer_account_id": str(draft.payer),
            "member_id": _id(draft.member),
            "organisation_id": _id(draft.organisation),
            "posting_date": draft.posting_date.isoformat(),
            "currency": doc.currency,
            "total_amount": draft.total_amount,
            "vat_amount": draft.vat_amount,
            "reason": draft.credit_reason or "",
            "lines": lines,
        }
    return {
        "document_id": str(draft.id),
        "kind": draft.kind.value,
        "document_no": doc.document_no,
        "payer_account_id": str(draft.payer),
        "payer_number": doc.payer_number,
        "member_id": _id(draft.member),
        "organisation_id": _id(draft.organisation),
        "billing_run_id": _id(doc.billing_run_id),
        "posting_date": draft.posting_date.isoformat(),
        "due_date": draft.due_date.isoformat(),
        "currency": doc.currency,
        "total_amount": draft.total_amount,
        "vat_amount": draft.vat_amount,
        "payment_reference": doc.payment_reference,
        "lines": lines,
        "e_invoice": _e_invoice_data(doc),
    }


def _e_invoice_data(doc: IssuedDocument) -> Json | None:
    """Rule 35's fields of a public customer's document (few: through the model)."""
    fields = e_invoice_v1(doc.e_invoice)
    return None if fields is None else fields.model_dump(mode="json")


def issued_events(
    issued: Sequence[IssuedDocument], *, correlation_id: str | None = None
) -> list[CloudEvent]:
    """`billing.document.issued` or `billing.credit_memo.issued` for each document, in the
    trace of the caller. The first payload of each kind is validated against its contract."""
    traceparent = current_traceparent()
    events = []
    checked: set[DocumentKind] = set()
    for doc in issued:
        data = issued_data(doc)
        memo = doc.draft.kind is DocumentKind.CREDIT_MEMO
        spec = CREDIT_MEMO_ISSUED if memo else DOCUMENT_ISSUED
        if doc.draft.kind not in checked:
            spec.model.model_validate(data)
            checked.add(doc.draft.kind)
        events.append(
            envelope_of(
                spec,
                data,
                subject=str(doc.draft.id),
                tenant=doc.tenant,
                aggregate_version=1,
                correlation_id=correlation_id,
                traceparent=traceparent,
            )
        )
    return events


async def record_issued_in_tx(
    session: AsyncSession, issued: Sequence[IssuedDocument], *, correlation_id: str | None = None
) -> None:
    await record_events_in_tx(
        session, issued_events(issued, correlation_id=correlation_id), copy=True
    )
