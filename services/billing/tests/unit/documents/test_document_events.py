"""The document events' payloads are built by hand for speed; each must be exactly what its
contract's model makes of it, for every kind and every shape of line."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest

from federa.billing.documents.events import issued_data, issued_events
from federa.billing.documents.store import IssuedDocument
from federa.billing.domain.documents import (
    DocumentDraft,
    DocumentKind,
    DocumentLine,
    LineAccounting,
)
from federa.billing.domain.e_invoice import EInvoiceFields
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.shared.contracts.billing import CREDIT_MEMO_ISSUED, DOCUMENT_ISSUED
from federa.shared.envelope import CloudEvent


def _line(line_no: int, **changes: object) -> DocumentLine:
    values: dict[str, object] = {
        "line_no": line_no,
        "kind": "charge",
        "subscription_id": uuid.uuid4(),
        "subscription_no": 7 + line_no,
        "member_id": MemberId(uuid.uuid4()),
        "product_code": "MEDLEM",
        "price_code": "ORD",
        "description": "Ordinary membership",
        "quantity": Decimal(2),
        "unit_price": Decimal(22500),
        "amount": 45000,
        "vat_rate": Decimal("25.50"),
        "vat_amount": 11475,
        "accounting": LineAccounting(
            vat_rate=Decimal("25.50"), posting_type="DUES", revenue_account="3000"
        ),
        "period_from": date(2026, 1, 1),
        "period_to": date(2026, 12, 31),
        "branch_organisation": OrganisationId(uuid.uuid4()),
        "branch_share": 9000,
    }
    values.update(changes)
    return DocumentLine(**values)  # type: ignore[arg-type]


LINES = (
    _line(1),
    # Payroll and pro rata lines: a rate or a fraction, published as one unit of the amount.
    _line(2, quantity=Decimal("1.5"), unit_price=Decimal("333.33"), amount=500),
    _line(
        3,
        kind="postage",
        subscription_id=None,
        subscription_no=None,
        member_id=None,
        price_code=None,
        vat_rate=Decimal(0),
        vat_amount=0,
        accounting=LineAccounting(),
        period_from=None,
        period_to=None,
        branch_organisation=None,
        branch_share=0,
    ),
    # Rule 33: revenue parked on a deferral account until recognised.
    _line(4, deferral_account="2900"),
)


def _document(kind: DocumentKind, **changes: object) -> IssuedDocument:
    draft = DocumentDraft(
        id=uuid.uuid4(),
        kind=kind,
        payer=PayerId(uuid.uuid4()),
        member=changes.pop("member", MemberId(uuid.uuid4())),  # type: ignore[arg-type]
        organisation=None,
        posting_date=date(2026, 6, 15),
        due_date=date(2026, 6, 29),
        lines=LINES,
        credits=uuid.uuid4() if kind is DocumentKind.CREDIT_MEMO else None,
        credit_reason="to-date" if kind is DocumentKind.CREDIT_MEMO else None,
    )
    return IssuedDocument(
        draft=draft,
        number=1042,
        tenant="t1",
        currency="DKK",
        payer_number=changes.pop("payer_number", 17),  # type: ignore[arg-type]
        billing_run_id=uuid.uuid4(),
        created_by="test",
        credits_document_no="1001" if kind is DocumentKind.CREDIT_MEMO else None,
        e_invoice=changes.pop("e_invoice", None),  # type: ignore[arg-type]
    )


E_INVOICE = EInvoiceFields(
    gln="5790000000005", country_code="DK", currency_code="DKK", external_document_no="PO 17"
)


@pytest.mark.parametrize("kind", list(DocumentKind))
@pytest.mark.parametrize(
    "changes",
    [{}, {"member": None, "payer_number": None}, {"e_invoice": E_INVOICE}],
    ids=["member", "payer only", "e-invoice"],
)
def test_each_payload_is_its_contracts_json_form(
    kind: DocumentKind, changes: dict[str, object]
) -> None:
    doc = _document(kind, **changes)
    spec = CREDIT_MEMO_ISSUED if kind is DocumentKind.CREDIT_MEMO else DOCUMENT_ISSUED
    data = issued_data(doc)
    assert spec.model.model_validate(data).model_dump(mode="json") == data


def test_lines_priced_by_a_rate_publish_one_unit_of_their_amount() -> None:
    data = issued_data(_document(DocumentKind.INVOICE))
    whole, rated, _, deferred = data["lines"]
    assert deferred["deferral_account"] == "2900"
    assert (whole["quantity"], whole["unit_price"], whole["amount"]) == (2, 22500, 45000)
    assert (rated["quantity"], rated["unit_price"], rated["amount"]) == (1, 500, 500)
    assert whole["vat_rate"] == "25.50"


def test_the_events_round_trip_through_the_envelope() -> None:
    docs = [_document(kind) for kind in DocumentKind]
    events = issued_events(docs, correlation_id="run-1")
    assert [e.type for e in events] == [
        CREDIT_MEMO_ISSUED.type
        if d.draft.kind is DocumentKind.CREDIT_MEMO
        else DOCUMENT_ISSUED.type
        for d in docs
    ]
    for doc, event in zip(docs, events, strict=True):
        parsed = CloudEvent.from_json(event.to_json())
        assert parsed.subject == str(doc.draft.id)
        assert parsed.correlationid == "run-1"
        assert parsed.data == json.loads(json.dumps(issued_data(doc)))
