"""Value bands (SPEC §2.2 rule 17, open question §6.3 item 1; README "Value bands")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.calculations import PricingBasis, ValueBand, ValueBands
from federa.billing.domain.errors import InvalidCatalogue, MissingValueUnits, ValueAboveHighestBand

BANDS = ValueBands(
    unit_value_price=Decimal(1),
    bands=(ValueBand(Decimal(10), 3000), ValueBand(Decimal(50), 2500), ValueBand(None, 2000)),
)


def _basis(value_units: int | None) -> PricingBasis:
    return PricingBasis("VAL", date(2026, 1, 1), 1, value_units, ())


def test_the_charge_is_the_bands_net_price_times_the_value() -> None:
    # Literal reading of rule 17: V = 7 x 1 = 7, band ≤ 10 → 30.00 x 7 = 210.00.
    calculated = BANDS.calculate(_basis(7))
    assert calculated.amount == 21000
    assert calculated.rule == "value 7 units x 1 = 7; value band ≤ 10 → 30.00 x 7"


def test_a_value_on_a_bands_maximum_belongs_to_that_band() -> None:
    assert BANDS.calculate(_basis(10)).amount == 30000
    assert BANDS.calculate(_basis(11)).amount == 11 * 2500


def test_the_unit_value_price_scales_the_value_before_the_band_lookup() -> None:
    bands = ValueBands(Decimal("2.5"), BANDS.bands)
    calculated = bands.calculate(_basis(4))  # V = 10 → first band
    assert (calculated.quantity, calculated.amount) == (Decimal(10), 30000)


def test_the_open_last_band_takes_any_larger_value() -> None:
    assert BANDS.calculate(_basis(1000)).amount == 2000000


def test_a_value_above_a_closed_highest_band_is_an_error() -> None:
    closed = ValueBands(Decimal(1), (ValueBand(Decimal(10), 3000),))
    with pytest.raises(ValueAboveHighestBand, match="value 11"):
        closed.calculate(_basis(11))


def test_a_member_without_value_units_cannot_be_priced_by_value() -> None:
    with pytest.raises(MissingValueUnits):
        BANDS.calculate(_basis(None))


@pytest.mark.parametrize(
    "bands",
    [
        (),
        (ValueBand(Decimal(50), 2500), ValueBand(Decimal(10), 3000)),
        (ValueBand(None, 2500), ValueBand(Decimal(10), 3000)),
        (ValueBand(Decimal(10), -1),),
    ],
)
def test_value_bands_must_ascend_with_only_the_last_open(bands: tuple[ValueBand, ...]) -> None:
    with pytest.raises(InvalidCatalogue):
        ValueBands(Decimal(1), bands)


@given(st.integers(0, 10**6))
def test_a_value_band_charge_is_never_negative(units: int) -> None:
    assert BANDS.calculate(_basis(units)).amount >= 0
