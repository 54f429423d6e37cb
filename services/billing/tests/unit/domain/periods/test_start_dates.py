"""A new subscription's from-date (SPEC §2.2 rule 3, §5 row 8, §6.3 item 7)."""

from __future__ import annotations

from datetime import date

import pytest

from federa.billing.domain.errors import FromDateRequired, InvalidCatalogue
from federa.billing.domain.product_periods import generate_periods
from federa.billing.domain.start_dates import (
    DefaultStartRule,
    PeriodStartRule,
    check_period_start_rules,
    propose_from_date,
)
from federa.billing.domain.terms import QUARTER

QUARTERS = generate_periods(date(2024, 1, 1), 12, QUARTER)


def _propose(
    registration: date,
    rule: DefaultStartRule = DefaultStartRule.NONE,
    *,
    price_code_rules: tuple[PeriodStartRule, ...] = (),
    product_rules: tuple[PeriodStartRule, ...] = (),
) -> date:
    from_date, _ = propose_from_date(
        registration,
        price_code_rules=price_code_rules,
        product_rules=product_rules,
        default_start_rule=rule,
        product_periods=QUARTERS,
    )
    return from_date


def test_calendar_year_rule_starts_on_the_first_of_january_of_the_registration_year() -> None:
    # SPEC §5 row 8 (illustrative): start on 2024-08-20 with calendar-year rule → 2024-01-01.
    assert _propose(date(2024, 8, 20), DefaultStartRule.CALENDAR_YEAR) == date(2024, 1, 1)


def test_today_rule_starts_on_the_registration_date() -> None:
    assert _propose(date(2024, 8, 20), DefaultStartRule.TODAY) == date(2024, 8, 20)


def test_next_term_rule_starts_on_the_next_product_period() -> None:
    assert _propose(date(2024, 8, 20), DefaultStartRule.NEXT_TERM) == date(2024, 10, 1)


def test_the_none_rule_makes_staff_enter_the_from_date() -> None:
    with pytest.raises(FromDateRequired):
        _propose(date(2024, 8, 20), DefaultStartRule.NONE)


# SPEC §6.3 item 7: the manual's examples were lost; these are our canonical ones (README
# "Period-start rules").
@pytest.mark.parametrize(
    ("rule", "registration", "from_date"),
    [
        # Late joiners (October-December) start on 1 January of the next year.
        (PeriodStartRule(1, 10, 12), date(2024, 11, 5), date(2025, 1, 1)),
        # Early joiners (January-March) are back-dated to 1 January of this year.
        (PeriodStartRule(1, 1, 3), date(2024, 2, 29), date(2024, 1, 1)),
        # Spring joiners start with the season on 1 July.
        (PeriodStartRule(7, 4, 6), date(2024, 5, 5), date(2024, 7, 1)),
        # A window across the year end: November-February start on 1 March.
        (PeriodStartRule(3, 11, 2), date(2024, 12, 5), date(2025, 3, 1)),
        (PeriodStartRule(3, 11, 2), date(2025, 1, 5), date(2025, 3, 1)),
    ],
)
def test_a_period_start_rule_starts_on_the_first_of_its_month(
    rule: PeriodStartRule, registration: date, from_date: date
) -> None:
    assert _propose(registration, product_rules=(rule,)) == from_date


def test_the_price_codes_period_start_rule_wins_over_the_products() -> None:
    product_rule = PeriodStartRule(1, 10, 12)
    price_code_rule = PeriodStartRule(12, 10, 12)
    registration = date(2024, 10, 14)
    assert _propose(
        registration, price_code_rules=(price_code_rule,), product_rules=(product_rule,)
    ) == date(2024, 12, 1)


def test_outside_every_window_the_default_start_rule_decides() -> None:
    rule = PeriodStartRule(1, 10, 12)
    assert _propose(date(2024, 5, 5), DefaultStartRule.TODAY, product_rules=(rule,)) == date(
        2024, 5, 5
    )


def test_the_proposal_says_which_rule_produced_it() -> None:
    _, why = propose_from_date(
        date(2024, 11, 5),
        price_code_rules=(),
        product_rules=(PeriodStartRule(1, 10, 12),),
        default_start_rule=DefaultStartRule.TODAY,
        product_periods=(),
    )
    assert why == (
        "product period-start rule: registered in month 11 (window 10-12) → starts 1st of month 1"
    )


def test_overlapping_windows_and_impossible_months_are_refused() -> None:
    with pytest.raises(InvalidCatalogue, match="overlap in months 3"):
        check_period_start_rules([PeriodStartRule(1, 1, 3), PeriodStartRule(4, 3, 6)])
    with pytest.raises(InvalidCatalogue):
        PeriodStartRule(13, 1, 3)
