"""Payroll tiers with minimum dues (SPEC §2.2 rule 18, §5 row 6; README "Payroll tiers")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.calculations import PayrollBand, PayrollTable, PayrollTiers, PricingBasis
from federa.billing.domain.errors import (
    InvalidCatalogue,
    MissingMinimumDuesLine,
    MissingValueUnits,
    NoPriceOnDate,
    OverlappingPriceValidity,
)

# Price per unit is in minor units per value unit: 0.5 øre per krone of payroll is 0.5 %.
TABLE_2026 = PayrollTable(
    date(2026, 1, 1),
    (
        PayrollBand(0, 200000, Decimal(0), min_dues=50000),
        PayrollBand(200001, 400000, Decimal("0.5")),
        PayrollBand(400001, None, Decimal("0.25")),
    ),
)
TIERS = PayrollTiers((TABLE_2026,))


def _basis(units: int | None, on: date = date(2026, 1, 1)) -> PricingBasis:
    return PricingBasis("PAY", on, 1, units, ())


def test_each_tier_prices_only_the_units_falling_inside_it() -> None:
    # 500 000: 200 000 free, 200 000 x 0.5 = 1 000.00, 100 000 x 0.25 = 250.00 → 1 250.00.
    calculated = TIERS.calculate(_basis(500000))
    assert calculated.amount == 125000
    assert "200 001-400 000: 200 000 x 0.005 = 1 000.00" in calculated.rule
    assert "400 001-: 100 000 x 0.0025 = 250.00" in calculated.rule


def test_the_minimum_dues_apply_when_the_tiered_sum_is_lower() -> None:
    # SPEC §5 row 6: "minimum applied when tiered sum is lower". 250 000 → 250.00 < 500.00.
    calculated = TIERS.calculate(_basis(250000))
    assert calculated.amount == 50000
    assert calculated.rule.endswith("→ 250.00; minimum dues 500.00 applied")


def test_billing_fails_when_the_zero_price_line_is_missing() -> None:
    # SPEC §5 row 6: "a line with price kr. 0 carrying minimum dues must always exist, even if
    # the minimum is kr. 0, otherwise error at billing".
    without_zero_line = PayrollTiers(
        (PayrollTable(date(2026, 1, 1), (PayrollBand(0, None, Decimal("0.5")),)),)
    )
    with pytest.raises(MissingMinimumDuesLine, match="price 0"):
        without_zero_line.calculate(_basis(250000))


def test_a_zero_line_with_a_minimum_of_zero_is_enough() -> None:
    tiers = PayrollTiers(
        (
            PayrollTable(
                date(2026, 1, 1),
                (PayrollBand(0, 0, Decimal(0)), PayrollBand(1, None, Decimal("0.5"))),
            ),
        )
    )
    assert tiers.calculate(_basis(1001)).amount == 501  # 500.5 rounds half up


def test_the_payroll_table_valid_on_the_periods_start_is_used() -> None:
    older = PayrollTable(date(2025, 1, 1), (PayrollBand(0, None, Decimal(0), min_dues=40000),))
    tiers = PayrollTiers((older, TABLE_2026))
    assert tiers.calculate(_basis(250000, on=date(2025, 12, 31))).amount == 40000
    assert tiers.calculate(_basis(250000, on=date(2026, 1, 1))).amount == 50000
    with pytest.raises(NoPriceOnDate):
        tiers.calculate(_basis(250000, on=date(2024, 12, 31)))


def test_two_payroll_tables_from_the_same_day_are_refused() -> None:
    with pytest.raises(OverlappingPriceValidity):
        PayrollTiers((TABLE_2026, TABLE_2026))


def test_a_member_without_value_units_cannot_be_priced_by_payroll() -> None:
    with pytest.raises(MissingValueUnits):
        TIERS.calculate(_basis(None))


@pytest.mark.parametrize(
    "bands",
    [
        (PayrollBand(1, None, Decimal(0)),),  # must start at 0
        (PayrollBand(0, 100, Decimal(0)), PayrollBand(102, None, Decimal(1))),  # gap
        (PayrollBand(0, None, Decimal(0)), PayrollBand(1, None, Decimal(1))),  # open in between
        (PayrollBand(0, None, Decimal(1), min_dues=100),),  # minimum on a priced line
        (PayrollBand(0, 10, Decimal(0), min_dues=1), PayrollBand(11, None, Decimal(0), min_dues=2)),
    ],
)
def test_payroll_bands_tile_from_zero_and_keep_the_minimum_on_the_zero_line(
    bands: tuple[PayrollBand, ...],
) -> None:
    with pytest.raises(InvalidCatalogue):
        PayrollTable(date(2026, 1, 1), bands)


@given(st.integers(0, 10**8))
def test_a_payroll_charge_is_never_below_the_minimum_dues(units: int) -> None:
    assert TIERS.calculate(_basis(units)).amount >= 50000


@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_more_payroll_never_costs_less(units: int, more: int) -> None:
    assert TIERS.calculate(_basis(units + more)).amount >= TIERS.calculate(_basis(units)).amount
