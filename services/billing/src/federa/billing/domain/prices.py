"""Dated prices, running-year pro rata, first-period discount (SPEC §2.2 rules 15, 19, 20)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from federa.billing.domain.errors import (
    ImpossibleDates,
    InvalidCatalogue,
    NoPriceOnDate,
    OverlappingPriceValidity,
)
from federa.billing.domain.money import percent_of, round_half_up
from federa.billing.domain.periods import Period


@dataclass(frozen=True)
class DatedPrice:
    """A price valid from `from_date` until the next dated price of the same price code."""

    from_date: date
    amount: int

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise InvalidCatalogue(f"price from {self.from_date} is negative: {self.amount}")


def check_dated_prices(prices: Sequence[DatedPrice]) -> None:
    """Validity runs to the next price's from-date, so two prices overlap exactly when they
    share a from-date (SPEC §2.2 *Dated price*)."""
    seen: set[date] = set()
    for price in prices:
        if price.from_date in seen:
            raise OverlappingPriceValidity(f"two prices are valid from {price.from_date}")
        seen.add(price.from_date)


def schedule_price(prices: Sequence[DatedPrice], price: DatedPrice) -> tuple[DatedPrice, ...]:
    """`SchedulePrice(from_date)`: future prices are allowed (SPEC §1.2 *Pris*)."""
    scheduled = (*prices, price)
    check_dated_prices(scheduled)
    return tuple(sorted(scheduled, key=lambda dated: dated.from_date))


def price_on(prices: Sequence[DatedPrice], day: date) -> DatedPrice:
    """The price valid on `day`: the latest from-date on or before it (SPEC §2.2 rule 15)."""
    valid = [price for price in prices if price.from_date <= day]
    if not valid:
        raise NoPriceOnDate(f"no price is valid on {day}")
    return max(valid, key=lambda price: price.from_date)


def pro_rata_of_year(yearly: int, period: Period) -> int:
    """The part of a yearly amount that falls on `period` (inside one calendar year), by days.

    Computed as the difference of the rounded amounts accrued by the period's last day and by
    the day before its first, so the pieces of any split of a year add up exactly to the
    yearly amount (README "Running year pro rata").
    """
    if period.start.year != period.end.year:
        raise ImpossibleDates(f"pro rata needs a period inside one calendar year, not {period}")
    year_days = days_in_year(period.start.year)
    before = period.start.timetuple().tm_yday - 1
    through = period.end.timetuple().tm_yday
    return _accrued(yearly, through, year_days) - _accrued(yearly, before, year_days)


def _accrued(yearly: int, days: int, year_days: int) -> int:
    return round_half_up(Fraction(yearly * days, year_days))


def days_in_year(year: int) -> int:
    return date(year, 12, 31).timetuple().tm_yday


def discounted(amount: int, percent: Decimal) -> int:
    """The amount after a first-period discount; the discount is rounded half up (SPEC §2.2
    rule 19, README "Rounding")."""
    if not Decimal(0) <= percent <= Decimal(100):
        raise InvalidCatalogue(f"a discount is 0-100 %, not {percent}")
    return amount - percent_of(amount, percent)
