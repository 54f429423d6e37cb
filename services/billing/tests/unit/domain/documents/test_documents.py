"""Rules 27-28: documents from charges: kind by invoicing mode, VAT, totals, due date,
branch share on the product line."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from federa.billing.domain.documents import (
    Charge,
    DocumentKind,
    InvoicingMode,
    LineAccounting,
    build_documents,
    vat_of,
)
from federa.billing.domain.grouping import DocumentGrouping
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.quote import LineKind, QuoteLine, SettlementLine

PAYER = PayerId(uuid.uuid4())
BRANCH = OrganisationId(uuid.uuid4())


def quote_line(kind: LineKind, product: str, amount: int) -> QuoteLine:
    return QuoteLine(
        kind=kind,
        product=product,
        price_code="ORD",
        description=product,
        period_from=date(2025, 1, 1),
        period_to=date(2025, 12, 31),
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        amount=amount,
        rule="hand",
    )


def charge(member: MemberId, *lines: QuoteLine, share: int = 0) -> Charge:
    settlements = (SettlementLine(BRANCH, "Branch", share, "share"),) if share else ()
    return Charge(
        subscription_id=uuid.uuid4(),
        subscription_no=1,
        member_id=member,
        payer=PAYER,
        organisation=BRANCH,
        period_from=date(2025, 1, 1),
        period_to=date(2025, 12, 31),
        lines=lines,
        settlements=settlements,
    )


def test_each_mode_issues_its_kind_with_vat_totals_and_due_date() -> None:
    anna = MemberId(uuid.uuid4())
    charges = [
        charge(
            anna,
            quote_line(LineKind.PRODUCT, "MAG", 20000),
            quote_line(LineKind.POSTAGE, "MAG", 1000),
            share=500,
        )
    ]
    for mode, kind in (
        (InvoicingMode.INVOICE, DocumentKind.INVOICE),
        (InvoicingMode.DRAFT_INVOICE, DocumentKind.DRAFT_INVOICE),
        (InvoicingMode.ORDER, DocumentKind.ORDER),
    ):
        [document] = build_documents(
            charges,
            grouping=DocumentGrouping.PER_PAYER_MEMBER,
            mode=mode,
            posting_date=date(2025, 6, 15),
            payment_terms_days=30,
            accounting={"MAG": LineAccounting(vat_rate=Decimal(25), posting_type="MAG")},
            gift_posting_type=None,
        )
        assert document.kind is kind
        assert document.due_date == date(2025, 7, 15)
        assert (document.net_amount, document.vat_amount, document.total_amount) == (
            21000,
            5250,
            26250,
        )
        product, postage = document.lines
        assert (product.branch_share, postage.branch_share) == (500, 0)
        assert product.accounting.posting_type == "MAG"


def test_free_charges_make_no_document_and_gifts_carry_no_vat() -> None:
    anna = MemberId(uuid.uuid4())
    documents = build_documents(
        [
            charge(anna),
            charge(anna, quote_line(LineKind.GIFT, "MEDLEM", 5000)),
        ],
        grouping=DocumentGrouping.PER_SUBSCRIPTION,
        mode=InvoicingMode.INVOICE,
        posting_date=date(2025, 6, 15),
        payment_terms_days=14,
        accounting={"MEDLEM": LineAccounting(vat_rate=Decimal(25))},
        gift_posting_type="GIFT",
    )
    [document] = documents
    [gift] = document.lines
    assert (gift.kind, gift.vat_amount, gift.accounting.posting_type) == ("gift", 0, "GIFT")


def test_per_payer_documents_name_no_member_when_they_hold_several() -> None:
    anna, bo = MemberId(uuid.uuid4()), MemberId(uuid.uuid4())
    [document] = build_documents(
        [
            charge(anna, quote_line(LineKind.PRODUCT, "MEDLEM", 100)),
            charge(bo, quote_line(LineKind.PRODUCT, "MEDLEM", 200)),
        ],
        grouping=DocumentGrouping.PER_PAYER,
        mode=InvoicingMode.INVOICE,
        posting_date=date(2025, 6, 15),
        payment_terms_days=14,
        accounting={},
        gift_posting_type=None,
    )
    assert document.member is None
    assert [line.member_id for line in document.lines] == [anna, bo]
    assert [line.line_no for line in document.lines] == [1, 2]


def test_vat_is_rounded_half_up_once_per_line() -> None:
    assert vat_of(10, Decimal(25)) == 3  # 2.5 → 3
    assert vat_of(45000, Decimal(0)) == 0
    assert vat_of(999, Decimal("12.5")) == 125  # 124.875 → 125
