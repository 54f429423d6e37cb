"""Properties every strategy keeps, whatever the payment and the open items."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from federa.payments.domain.items import OpenItem
from federa.payments.domain.setup import (
    Overpayment,
    Rules,
    SourceSetup,
    Strategy,
    Tolerance,
    Underpayment,
)
from federa.payments.domain.strategies import apply_payment


@st.composite
def open_items(draw: st.DrawFn) -> list[OpenItem]:
    amounts = draw(st.lists(st.integers(min_value=1, max_value=100_000), max_size=8))
    kinds = draw(
        st.lists(
            st.sampled_from(["invoice", "order"]), min_size=len(amounts), max_size=len(amounts)
        )
    )
    return [
        OpenItem(
            document_id=uuid.uuid4(),
            document_no=str(n + 1),
            kind=kinds[n],
            remaining=amount,
            due_date=date(2026, 1, 1) + timedelta(days=n),
            posting_date=date(2025, 12, 1),
        )
        for n, amount in enumerate(amounts)
    ]


rules_st = st.builds(
    Rules,
    source=st.builds(
        SourceSetup,
        strategy=st.sampled_from(Strategy),
        overpayment=st.sampled_from(Overpayment),
        underpayment=st.sampled_from(Underpayment),
    ),
    writeoff_enabled=st.booleans(),
    writeoff_max=st.integers(min_value=0, max_value=5_000),
    tolerance=st.none() | st.builds(Tolerance, amount=st.integers(min_value=0, max_value=5_000)),
    reminder_fee=st.sampled_from([0, 2500]),
)


# No deadline: the machine is shared, and a slow example is not a wrong one.
@settings(max_examples=300, deadline=None)
@given(
    payment=st.integers(min_value=1, max_value=500_000),
    items=open_items(),
    rules=rules_st,
    reference_payment=st.booleans(),
)
def test_no_strategy_applies_more_than_the_payment_or_an_items_remaining_and_money_is_kept(
    payment: int, items: list[OpenItem], rules: Rules, reference_payment: bool
) -> None:
    result = apply_payment(payment, items, rules, reference_payment=reference_payment)
    remaining = {i.document_id: i.remaining for i in items}

    # Money of the payment: every minor unit is applied, a gift, or waits as an exception.
    assert result.applied + result.gift + result.exception == payment
    assert result.applied <= payment
    assert min(result.gift, result.exception) >= 0

    # The items' side: nothing beyond an item's remaining, once per item, no negative amount.
    touched = [a.document_id for a in result.allocations]
    assert len(touched) == len(set(touched))
    for allocation in result.allocations:
        assert allocation.amount >= 0
        assert allocation.written_off >= 0
        assert allocation.amount + allocation.written_off <= remaining[allocation.document_id]

    # A write-off is only ever what the rules forgive.
    for allocation in result.allocations:
        if allocation.written_off:
            assert rules.forgives(
                allocation.written_off,
                remaining[allocation.document_id],
                reference_payment=reference_payment,
            )

    # A gift only when the rules say gift, and never while the payment waits for a person.
    if result.gift:
        assert rules.source.overpayment is Overpayment.GIFT
        assert result.exception == 0
