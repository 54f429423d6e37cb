"""What a credit memo credits and what stays billed afterwards (SPEC §2.2 rules 8, 14, 37)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from federa.billing.domain.credits import (
    LoggedCharge,
    billed_range_after_credit,
    credit_memo,
    creditable_lines,
    rewound,
)
from federa.billing.domain.documents import NO_VAT, DocumentKind, DocumentLine
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.periods import Period
from federa.billing.domain.subscription import BillingStatus, SubscriptionState
from federa.billing.domain.to_date_adjustment import ChargedDocument

A, B = uuid.uuid4(), uuid.uuid4()
BRANCH = OrganisationId(uuid.uuid4())
YEAR_2025 = Period(date(2025, 1, 1), date(2025, 12, 31))
YEAR_2024 = Period(date(2024, 1, 1), date(2024, 12, 31))


def line(no: int, subscription: uuid.UUID | None, amount: int, share: int = 0) -> DocumentLine:
    return DocumentLine(
        line_no=no,
        kind="charge",
        subscription_id=subscription,
        subscription_no=None,
        member_id=None,
        product_code="MEDLEM",
        price_code="ORD",
        description="Membership",
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        amount=amount,
        vat_rate=Decimal(25),
        vat_amount=amount // 4,
        accounting=NO_VAT,
        period_from=YEAR_2025.start,
        period_to=YEAR_2025.end,
        branch_organisation=BRANCH,
        branch_share=share,
    )


LINES = (line(1, A, 45000, 10000), line(2, B, 13192, 3000), line(3, None, 500))
INVOICE = ChargedDocument(uuid.uuid4(), PayerId(uuid.uuid4()), MemberId(uuid.uuid4()), None, LINES)


def test_only_lines_of_uncredited_charges_are_creditable() -> None:
    found = creditable_lines(LINES, uncredited={B}, whole_document_open=False)
    assert [x.line_no for x in found] == [2]


def test_lines_of_no_subscription_go_with_the_first_credit_of_the_document() -> None:
    assert [
        x.line_no for x in creditable_lines(LINES, uncredited={A, B}, whole_document_open=True)
    ] == [1, 2, 3]


def test_a_memo_copies_the_credited_lines_whole_and_points_at_the_invoice() -> None:
    memo = credit_memo(
        INVOICE,
        LINES[:2],
        document_no="7",
        reason="latest_document",
        posting_date=date(2025, 8, 1),
        payment_terms_days=14,
    )
    assert memo is not None
    assert memo.kind is DocumentKind.CREDIT_MEMO
    assert (memo.credits, memo.credit_reason) == (INVOICE.id, "latest_document")
    assert [(x.line_no, x.amount, x.vat_amount, x.branch_share) for x in memo.lines] == [
        (1, 45000, 11250, 10000),
        (2, 13192, 3298, 3000),
    ]
    assert memo.total_amount == sum(x.amount + x.vat_amount for x in LINES[:2])
    assert memo.due_date == date(2025, 8, 15)


def test_nothing_to_credit_makes_no_memo() -> None:
    assert (
        credit_memo(
            INVOICE,
            [],
            document_no="7",
            reason="stop",
            posting_date=date(2025, 8, 1),
            payment_terms_days=14,
        )
        is None
    )


def state(billed: Period | None) -> SubscriptionState:
    return SubscriptionState(
        subscription_no=1,
        member_id=MemberId(uuid.uuid4()),
        product="MEDLEM",
        price_code="ORD",
        payer=PayerId(uuid.uuid4()),
        from_date=date(2024, 1, 1),
        registration_date=date(2024, 1, 1),
        billed_from=None if billed is None else billed.start,
        billed_through=None if billed is None else billed.end,
        billing_status=BillingStatus.CHARGED,
    )


def test_a_credited_latest_period_is_unbilled_again() -> None:
    charges = [LoggedCharge(YEAR_2024, credited=False), LoggedCharge(YEAR_2025, credited=True)]
    after = rewound(state(YEAR_2025), charges)
    assert (after.billed_from, after.billed_through) == (YEAR_2024.start, YEAR_2024.end)


def test_when_every_charge_is_credited_the_next_charge_is_a_first_charge_again() -> None:
    charges = [LoggedCharge(YEAR_2024, credited=True), LoggedCharge(YEAR_2025, credited=True)]
    after = rewound(state(YEAR_2025), charges)
    assert (after.billed_through, after.billing_status) == (None, BillingStatus.NEW)


def test_an_older_credited_period_stays_billed_behind_a_standing_one() -> None:
    charges = [LoggedCharge(YEAR_2024, credited=True), LoggedCharge(YEAR_2025, credited=False)]
    assert not billed_range_after_credit(charges, billed_through=YEAR_2025.end).changed
    before = state(YEAR_2025)
    assert rewound(before, charges) == before


def test_a_stop_inside_the_credited_period_keeps_the_days_before_it_billed() -> None:
    charges = [LoggedCharge(YEAR_2024, credited=False), LoggedCharge(YEAR_2025, credited=True)]
    after = rewound(state(YEAR_2025), charges, covered_through=date(2025, 6, 30))
    assert (after.billed_from, after.billed_through) == (YEAR_2025.start, date(2025, 6, 30))


def test_a_stop_at_the_credited_periods_start_leaves_it_unbilled() -> None:
    charges = [LoggedCharge(YEAR_2024, credited=False), LoggedCharge(YEAR_2025, credited=True)]
    after = rewound(state(YEAR_2025), charges, covered_through=date(2024, 12, 31))
    assert after.billed_through == YEAR_2024.end
