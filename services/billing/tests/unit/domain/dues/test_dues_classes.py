"""Simple dues invoicing (SPEC §2.2 rule 38): the member's class, and the document it gets."""

from __future__ import annotations

import uuid
from datetime import date

from federa.billing.domain.documents import DocumentKind
from federa.billing.domain.dues import DuesClass, DuesMember, class_for, dues_document
from federa.billing.domain.ids import MemberId, PayerId

ADULT = DuesClass("A", "Adult dues", 50000, "3010")
CLASSES = {"A": ADULT, "Y": DuesClass("Y", "Youth dues", 20000)}


def member(category: str | None, *, payer: bool = True) -> DuesMember:
    return DuesMember(
        MemberId(uuid.uuid4()), PayerId(uuid.uuid4()) if payer else None, None, category
    )


def test_the_members_category_is_its_dues_class() -> None:
    assert class_for(member("A"), CLASSES, None) == ADULT


def test_a_class_named_by_the_request_wins_over_the_category() -> None:
    assert class_for(member("A"), CLASSES, "Y") == CLASSES["Y"]
    assert class_for(member(None), CLASSES, "A") == ADULT


def test_members_without_a_usable_class_or_payer_say_why() -> None:
    assert class_for(member(None), CLASSES, None) == "no-dues-class"
    assert class_for(member("X"), CLASSES, None) == "unknown-dues-class"
    assert class_for(member("A", payer=False), CLASSES, None) == "no-payer-account"


def test_a_dues_invoice_charges_the_class_amount_due_after_the_terms() -> None:
    who = member("A")
    invoice = dues_document(
        who, ADULT, kind=DocumentKind.INVOICE, posting_date=date(2025, 3, 1), payment_terms_days=14
    )
    [line] = invoice.lines
    assert (invoice.total_amount, invoice.due_date, invoice.credit_reason) == (
        50000,
        date(2025, 3, 15),
        None,
    )
    assert (line.kind, line.member_id, line.accounting.revenue_account) == (
        "dues",
        who.member_id,
        "3010",
    )


def test_a_dues_credit_without_an_invoice_is_a_memo_of_the_class_amount() -> None:
    memo = dues_document(
        member("A"),
        ADULT,
        kind=DocumentKind.CREDIT_MEMO,
        posting_date=date(2025, 4, 1),
        payment_terms_days=14,
    )
    assert (memo.kind, memo.credit_reason, memo.credits, memo.total_amount) == (
        DocumentKind.CREDIT_MEMO,
        "dues",
        None,
        50000,
    )
