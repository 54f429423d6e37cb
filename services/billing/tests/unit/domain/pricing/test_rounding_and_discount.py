"""Rounding and the first-period discount (SPEC §2.2 rule 19; README "Rounding")."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import InvalidCatalogue
from federa.billing.domain.money import format_money, format_quantity, round_half_up
from federa.billing.domain.prices import discounted

percentages = st.decimals(min_value=0, max_value=100, places=2)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(5, 2), 3),
        (Fraction(249, 100), 2),
        (Fraction(251, 100), 3),
        (Fraction(-5, 2), -3),
        (Fraction(0), 0),
    ],
)
def test_amounts_round_half_up_to_the_minor_unit(value: Fraction, rounded: int) -> None:
    assert round_half_up(value) == rounded


def test_a_half_price_first_period_of_an_odd_amount_rounds_the_discount_up() -> None:
    # 450.01 at 50 %: the discount 225.005 rounds to 225.01, the member pays 225.00.
    assert discounted(45001, Decimal(50)) == 22500


@pytest.mark.parametrize(("percent", "paid"), [(Decimal(0), 45000), (Decimal(100), 0)])
def test_no_discount_pays_all_and_a_full_discount_pays_nothing(percent: Decimal, paid: int) -> None:
    assert discounted(45000, percent) == paid


def test_a_discount_outside_zero_to_a_hundred_percent_is_refused() -> None:
    with pytest.raises(InvalidCatalogue):
        discounted(45000, Decimal(101))


@given(st.integers(0, 10**9), percentages)
def test_a_discounted_amount_is_never_negative_nor_above_the_price(
    amount: int, percent: Decimal
) -> None:
    assert 0 <= discounted(amount, percent) <= amount


def test_money_and_quantities_are_written_for_staff() -> None:
    assert format_money(45000) == "450.00"
    assert format_money(150000) == "1 500.00"
    assert format_money(Decimal("0.5")) == "0.005"
    assert format_money(-1250) == "-12.50"
    assert format_quantity(200001) == "200 001"
    assert format_quantity(Decimal("7.50")) == "7.5"
