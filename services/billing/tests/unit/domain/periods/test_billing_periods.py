"""Billed periods: first term, then subsequent terms, tiling time (SPEC §2.2 rules 20, 25)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import islice, pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.periods import Period, billing_periods
from federa.billing.domain.terms import MONTH, QUARTER, RUNNING_YEAR, YEAR, BillingTerm

starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
fixed_terms = (
    st.tuples(st.integers(0, 2), st.integers(0, 18), st.integers(-27, 40))
    .filter(lambda t: t[0] > 0 or t[1] > 0 or t[2] >= 1)
    .map(lambda t: BillingTerm(years=t[0], months=t[1], days=t[2]))
)
any_terms = st.one_of(st.just(RUNNING_YEAR), fixed_terms)


@given(starts, any_terms, any_terms)
def test_consecutive_periods_tile_time_with_no_gap_or_overlap(
    start: date, first: BillingTerm, subsequent: BillingTerm
) -> None:
    periods = list(islice(billing_periods(start, first, subsequent), 12))
    assert periods[0].start == start
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)


def test_a_running_first_term_is_followed_by_calendar_years() -> None:
    periods = list(islice(billing_periods(date(2024, 3, 15), RUNNING_YEAR, YEAR), 3))
    assert periods == [
        Period(date(2024, 3, 15), date(2024, 12, 31)),
        Period(date(2025, 1, 1), date(2025, 12, 31)),
        Period(date(2026, 1, 1), date(2026, 12, 31)),
    ]


def test_a_first_month_can_be_followed_by_quarters() -> None:
    periods = list(islice(billing_periods(date(2024, 12, 1), MONTH, QUARTER), 3))
    assert [(p.start, p.end) for p in periods] == [
        (date(2024, 12, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 6, 30)),
    ]


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ImpossibleDates):
        Period(date(2024, 2, 1), date(2024, 1, 31))


def test_a_period_counts_its_days_inclusively() -> None:
    assert Period(date(2024, 1, 1), date(2024, 12, 31)).days == 366
    assert Period(date(2024, 1, 1), date(2024, 1, 1)).days == 1
