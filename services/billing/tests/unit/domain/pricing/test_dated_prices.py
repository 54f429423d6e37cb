"""Dated prices: the price for a period is the one valid on its start (SPEC §2.2 rule 15)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import InvalidCatalogue, NoPriceOnDate, OverlappingPriceValidity
from federa.billing.domain.prices import DatedPrice, check_dated_prices, price_on, schedule_price

PRICES = (
    DatedPrice(date(2025, 1, 1), 40000),
    DatedPrice(date(2026, 1, 1), 45000),  # a future price is allowed
)

schedules = st.lists(
    st.tuples(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 10**7)),
    min_size=1,
    max_size=8,
    unique_by=lambda pair: pair[0],
).map(lambda pairs: tuple(DatedPrice(day, amount) for day, amount in pairs))


def test_a_period_uses_the_price_valid_on_its_start_date() -> None:
    assert price_on(PRICES, date(2025, 12, 31)).amount == 40000
    assert price_on(PRICES, date(2026, 1, 1)).amount == 45000
    assert price_on(PRICES, date(2031, 5, 5)).amount == 45000


def test_before_the_first_price_there_is_no_price() -> None:
    with pytest.raises(NoPriceOnDate, match="2024-12-31"):
        price_on(PRICES, date(2024, 12, 31))


def test_two_prices_from_the_same_day_overlap_and_are_refused() -> None:
    with pytest.raises(OverlappingPriceValidity, match="2026-01-01"):
        schedule_price(PRICES, DatedPrice(date(2026, 1, 1), 47000))


def test_scheduling_a_price_keeps_the_schedule_in_date_order() -> None:
    scheduled = schedule_price(PRICES, DatedPrice(date(2025, 7, 1), 42000))
    assert [price.from_date for price in scheduled] == [
        date(2025, 1, 1),
        date(2025, 7, 1),
        date(2026, 1, 1),
    ]


def test_a_negative_price_is_refused() -> None:
    with pytest.raises(InvalidCatalogue):
        DatedPrice(date(2025, 1, 1), -1)


@given(schedules, st.dates(date(2020, 1, 1), date(2032, 12, 31)))
def test_the_price_on_a_day_is_the_latest_one_starting_on_or_before_it(
    prices: tuple[DatedPrice, ...], day: date
) -> None:
    check_dated_prices(prices)
    started = [price for price in prices if price.from_date <= day]
    if not started:
        with pytest.raises(NoPriceOnDate):
            price_on(prices, day)
        return
    chosen = price_on(prices, day)
    assert chosen in started
    assert all(price.from_date <= chosen.from_date for price in started)
