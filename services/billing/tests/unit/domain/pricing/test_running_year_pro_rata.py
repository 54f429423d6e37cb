"""Running-year pro rata by days (SPEC §2.2 rule 20, §5 row 4; README "Running year pro rata")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.periods import Period
from federa.billing.domain.prices import pro_rata_of_year

years = st.integers(1990, 2090)
yearly_prices = st.integers(0, 10**8)


def test_a_running_year_from_the_15th_of_march_pays_its_share_of_days() -> None:
    # SPEC §5 row 4: LÅ from 2024-03-15 → to 2024-12-31, amount pro rata. 2024 has 366 days,
    # of which 292 fall in the period: 450.00 x 292/366 = 359.016… → 359.02.
    assert pro_rata_of_year(45000, Period(date(2024, 3, 15), date(2024, 12, 31))) == 35902


def test_a_running_year_from_the_first_of_january_pays_the_whole_yearly_price() -> None:
    assert pro_rata_of_year(45000, Period(date(2025, 1, 1), date(2025, 12, 31))) == 45000


def test_pro_rata_needs_a_period_inside_one_calendar_year() -> None:
    with pytest.raises(ImpossibleDates):
        pro_rata_of_year(45000, Period(date(2024, 12, 1), date(2025, 1, 31)))


@given(yearly_prices, years, st.lists(st.integers(1, 364), max_size=12))
def test_pro_rata_of_a_running_year_sums_to_the_yearly_price_over_the_year(
    yearly: int, year: int, cuts: list[int]
) -> None:
    first = date(year, 1, 1)
    last = date(year, 12, 31)
    starts = sorted({first, *(first + timedelta(days=cut) for cut in cuts)})
    ends = [start - timedelta(days=1) for start in starts[1:]] + [last]
    pieces = [
        pro_rata_of_year(yearly, Period(start, end))
        for start, end in zip(starts, ends, strict=True)
    ]
    assert sum(pieces) == yearly
    assert all(piece >= 0 for piece in pieces)


@given(yearly_prices, st.dates(date(1990, 1, 1), date(2090, 12, 31)))
def test_a_pro_rata_share_is_within_one_minor_unit_of_the_exact_share(
    yearly: int, start: date
) -> None:
    period = Period(start, date(start.year, 12, 31))
    year_days = (date(start.year, 12, 31) - date(start.year, 1, 1)).days + 1
    exact = yearly * period.days / year_days
    assert abs(pro_rata_of_year(yearly, period) - exact) <= 1
