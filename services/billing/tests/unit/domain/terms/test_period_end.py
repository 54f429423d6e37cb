"""Period ends by structured terms: calendar months, month-end clamping, running year."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.terms import (
    MONTH,
    RUNNING_YEAR,
    YEAR,
    BillingTerm,
    add_months,
    next_period_start,
    period_end,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))
terms = st.one_of(
    st.just(RUNNING_YEAR),
    st.tuples(st.integers(0, 3), st.integers(0, 24), st.integers(-27, 40))
    .filter(lambda t: t[0] > 0 or t[1] > 0 or t[2] >= 1)
    .map(lambda t: BillingTerm(years=t[0], months=t[1], days=t[2])),
)


def test_a_month_after_the_31st_is_clamped_to_the_months_last_day() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert period_end(date(2024, 1, 31), MONTH) == date(2024, 2, 28)


def test_a_year_from_the_first_of_january_is_the_calendar_year() -> None:
    assert period_end(date(2025, 1, 1), YEAR) == date(2025, 12, 31)


def test_a_running_year_ends_on_the_31st_of_december_of_its_start() -> None:
    assert period_end(date(2024, 12, 31), RUNNING_YEAR) == date(2024, 12, 31)
    assert period_end(date(2024, 1, 1), RUNNING_YEAR) == date(2024, 12, 31)


@given(days, terms)
def test_every_period_is_at_least_one_day_long(start: date, term: BillingTerm) -> None:
    assert period_end(start, term) >= start


@given(days, terms)
def test_the_next_period_starts_the_day_after_this_one_ends(start: date, term: BillingTerm) -> None:
    assert next_period_start(start, term) == period_end(start, term) + timedelta(days=1)
