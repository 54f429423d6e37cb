"""Rule 29 / SPEC §5 row 12: the credit for the days after a subscription's to-date."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.documents import DocumentKind, DocumentLine, LineAccounting
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.periods import Period
from federa.billing.domain.to_date_adjustment import (
    ChargedDocument,
    credited_periods,
    needs_credit,
    pro_rata,
    to_date_credit_memo,
    uncovered_part,
)

SUBSCRIPTION = uuid.uuid4()
BRANCH = OrganisationId(uuid.uuid4())


def line(kind: str, amount: int, *, vat: str = "0", share: int = 0, no: int = 1) -> DocumentLine:
    return DocumentLine(
        line_no=no,
        kind=kind,
        subscription_id=SUBSCRIPTION,
        subscription_no=7,
        member_id=MemberId(uuid.uuid4()),
        product_code="MEDLEM",
        price_code="ORD",
        description="Membership",
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        amount=amount,
        vat_rate=Decimal(vat),
        vat_amount=0,
        accounting=LineAccounting(vat_rate=Decimal(vat)),
        period_from=date(2025, 1, 1),
        period_to=date(2025, 12, 31),
        branch_organisation=BRANCH,
        branch_share=share,
    )


def charged(*lines: DocumentLine) -> ChargedDocument:
    return ChargedDocument(uuid.uuid4(), PayerId(uuid.uuid4()), None, BRANCH, lines)


def test_billed_through_31_12_stopped_from_01_07_credits_july_to_december() -> None:
    """450.00 for 2025; to-date 30.06: 184 of 365 days, 450.00 x 184/365 = 226.849… → 226.85;
    the branch share 25.00 x 184/365 = 12.60; 25 % VAT on the credited amount."""
    document = charged(line("charge", 45000, vat="25", share=2500))
    memo = to_date_credit_memo(
        document,
        {SUBSCRIPTION: date(2025, 6, 30)},
        posting_date=date(2025, 7, 2),
        payment_terms_days=14,
    )
    assert memo is not None
    assert (memo.kind, memo.credits, memo.credit_reason) == (
        DocumentKind.CREDIT_MEMO,
        document.id,
        "to_date_adjustment",
    )
    [credit] = memo.lines
    assert (credit.period_from, credit.period_to) == (date(2025, 7, 1), date(2025, 12, 31))
    assert (credit.amount, credit.vat_amount, credit.branch_share) == (22685, 5671, 1260)
    assert memo.total_amount == 22685 + 5671
    [period] = credited_periods(memo)
    assert (period.period, period.amount) == (Period(date(2025, 7, 1), date(2025, 12, 31)), 22685)


def test_gift_lines_are_not_credited() -> None:
    document = charged(line("charge", 45000), line("gift", 10000, no=2))
    memo = to_date_credit_memo(
        document,
        {SUBSCRIPTION: date(2025, 6, 30)},
        posting_date=date(2025, 7, 2),
        payment_terms_days=0,
    )
    assert memo is not None
    assert [c.kind for c in memo.lines] == ["charge"]


def test_nothing_is_credited_when_the_to_date_is_the_periods_last_day() -> None:
    memo = to_date_credit_memo(
        charged(line("charge", 45000)),
        {SUBSCRIPTION: date(2025, 12, 31)},
        posting_date=date(2025, 7, 2),
        payment_terms_days=14,
    )
    assert memo is None


def test_a_to_date_before_the_period_credits_all_of_it() -> None:
    memo = to_date_credit_memo(
        charged(line("charge", 45000)),
        {SUBSCRIPTION: date(2024, 12, 31)},
        posting_date=date(2025, 7, 2),
        payment_terms_days=14,
    )
    assert memo is not None
    assert memo.net_amount == 45000


def test_a_to_date_filter_turns_the_adjustment_off() -> None:
    assert needs_credit(date(2025, 6, 30), date(2025, 12, 31), to_date_filter=False)
    assert not needs_credit(date(2025, 6, 30), date(2025, 12, 31), to_date_filter=True)
    assert not needs_credit(date(2025, 12, 31), date(2025, 12, 31), to_date_filter=False)
    assert not needs_credit(None, date(2025, 12, 31), to_date_filter=False)


@given(
    amount=st.integers(min_value=0, max_value=10_000_000),
    days=st.integers(min_value=1, max_value=366),
    cut=st.integers(min_value=0, max_value=366),
)
def test_credit_and_what_remains_charged_add_up_to_the_charge(
    amount: int, days: int, cut: int
) -> None:
    period = Period(date(2025, 1, 1), date.fromordinal(date(2025, 1, 1).toordinal() + days - 1))
    to_date = date.fromordinal(period.start.toordinal() + min(cut, days) - 1)
    part = uncovered_part(period, to_date)
    credited = 0 if part is None else pro_rata(amount, period, part)
    assert 0 <= credited <= amount
    if part == period:
        assert credited == amount
