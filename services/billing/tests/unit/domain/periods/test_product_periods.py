"""Product periods: generation and the one-year-beyond check (SPEC §2.2 rule 26, §5 row 7)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import InvalidCatalogue, MissingProductPeriods
from federa.billing.domain.periods import Period
from federa.billing.domain.product_periods import (
    check_periods_cover,
    check_product_periods,
    generate_periods,
    next_term_start,
    periods_required_through,
)
from federa.billing.domain.terms import MONTH, QUARTER, RUNNING_YEAR, YEAR, BillingTerm

lengths = st.sampled_from([YEAR, QUARTER, MONTH, BillingTerm(months=6), BillingTerm(days=14)])


@given(st.dates(date(2000, 1, 1), date(2050, 12, 31)), st.integers(1, 60), lengths)
def test_generated_periods_tile_time_from_the_start(
    start: date, count: int, length: BillingTerm
) -> None:
    periods = generate_periods(start, count, length)
    assert len(periods) == count
    assert periods[0].start == start
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)


def test_generate_monthly_periods_for_a_year() -> None:
    periods = generate_periods(date(2025, 1, 1), 12, MONTH)
    assert periods[1] == Period(date(2025, 2, 1), date(2025, 2, 28))
    assert periods[-1] == Period(date(2025, 12, 1), date(2025, 12, 31))


def test_periods_cannot_be_generated_by_a_running_year_or_in_silly_numbers() -> None:
    with pytest.raises(InvalidCatalogue):
        generate_periods(date(2025, 1, 1), 3, RUNNING_YEAR)
    with pytest.raises(InvalidCatalogue):
        generate_periods(date(2025, 1, 1), 0, YEAR)


def test_overlapping_product_periods_are_refused() -> None:
    with pytest.raises(InvalidCatalogue, match="overlap"):
        check_product_periods(
            [
                *generate_periods(date(2025, 1, 1), 2, YEAR),
                Period(date(2026, 6, 1), date(2027, 5, 31)),
            ]
        )


# SPEC §5 row 7: "Billing 2025 with periods ending 2025-12-31 → error log entry; with periods
# to 2026-12-31 → success."
@pytest.mark.parametrize("bill_through", [date(2025, 1, 31), date(2025, 6, 30), date(2025, 12, 31)])
def test_billing_2025_needs_product_periods_through_2026(bill_through: date) -> None:
    assert periods_required_through(bill_through) == date(2026, 12, 31)
    with pytest.raises(MissingProductPeriods, match="2026-12-31"):
        check_periods_cover(generate_periods(date(2025, 1, 1), 1, YEAR), "MEMBER", bill_through)
    check_periods_cover(generate_periods(date(2025, 1, 1), 2, YEAR), "MEMBER", bill_through)


def test_a_gap_in_the_product_periods_fails_the_check() -> None:
    periods = [
        Period(date(2025, 1, 1), date(2025, 6, 30)),
        Period(date(2025, 7, 2), date(2026, 12, 31)),
    ]
    with pytest.raises(MissingProductPeriods, match="only through 2025-06-30"):
        check_periods_cover(periods, "MEMBER", date(2025, 3, 31))


def test_no_product_periods_at_all_fails_the_check() -> None:
    with pytest.raises(MissingProductPeriods, match="none"):
        check_periods_cover((), "MEMBER", date(2025, 3, 31))


def test_next_term_is_the_first_period_starting_on_or_after_the_day() -> None:
    periods = generate_periods(date(2025, 1, 1), 8, QUARTER)
    assert next_term_start(periods, date(2025, 2, 10)) == date(2025, 4, 1)
    assert next_term_start(periods, date(2025, 4, 1)) == date(2025, 4, 1)
    with pytest.raises(MissingProductPeriods):
        next_term_start(periods, date(2027, 1, 2))
