"""A new subscription's from-date: period-start rules, then the product's default start rule
(SPEC §2.2 rule 3, §1.2 *Periodestart opsætning*, *Standard fra Dato*)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from federa.billing.domain.errors import FromDateRequired, InvalidCatalogue
from federa.billing.domain.periods import Period
from federa.billing.domain.product_periods import next_term_start


class DefaultStartRule(Enum):
    NONE = "none"
    TODAY = "today"
    NEXT_TERM = "next_term"
    CALENDAR_YEAR = "calendar_year"


@dataclass(frozen=True)
class PeriodStartRule:
    """Registrations in months `registration_month_from`..`registration_month_to` start on the
    1st of `first_start_month`. The window may wrap the year end (November..February)."""

    first_start_month: int
    registration_month_from: int
    registration_month_to: int

    def __post_init__(self) -> None:
        months = (self.first_start_month, self.registration_month_from, self.registration_month_to)
        if not all(1 <= month <= 12 for month in months):
            raise InvalidCatalogue(f"period-start rule months must be 1-12, not {months}")

    @property
    def window(self) -> frozenset[int]:
        span = (self.registration_month_to - self.registration_month_from) % 12
        return frozenset(
            (self.registration_month_from - 1 + step) % 12 + 1 for step in range(span + 1)
        )

    def covers(self, registration: date) -> bool:
        return registration.month in self.window

    def from_date(self, registration: date) -> date:
        """The first 1st of `first_start_month` on or after the 1st day of the window that
        contains the registration: Oct-Dec → January starts next January; Jan-Mar → January
        starts this January (README "Period-start rules")."""
        back = (registration.month - self.registration_month_from) % 12
        window_year = registration.year - (1 if registration.month - back < 1 else 0)
        window_start = date(window_year, self.registration_month_from, 1)
        start = date(window_start.year, self.first_start_month, 1)
        return start if start >= window_start else date(start.year + 1, start.month, 1)


def check_period_start_rules(rules: Sequence[PeriodStartRule]) -> None:
    for index, rule in enumerate(rules):
        for other in rules[index + 1 :]:
            if rule.window & other.window:
                raise InvalidCatalogue(
                    "period-start rules overlap in months "
                    + ", ".join(str(month) for month in sorted(rule.window & other.window))
                )


def propose_from_date(
    registration: date,
    *,
    price_code_rules: Sequence[PeriodStartRule],
    product_rules: Sequence[PeriodStartRule],
    default_start_rule: DefaultStartRule,
    product_periods: Sequence[Period],
) -> tuple[date, str]:
    """The from-date a start proposes, with the rule that produced it.

    Precedence (SPEC §2.2 rule 3, *interpretation*): the price code's period-start rules, else
    the product's; if no window covers the registration month, the product's default start
    rule.
    """
    for rules, owner in ((price_code_rules, "price code"), (product_rules, "product")):
        for rule in rules:
            if rule.covers(registration):
                return rule.from_date(registration), (
                    f"{owner} period-start rule: registered in month {registration.month} "
                    f"(window {rule.registration_month_from}-{rule.registration_month_to}) → "
                    f"starts 1st of month {rule.first_start_month}"
                )
    match default_start_rule:
        case DefaultStartRule.TODAY:
            return registration, "default start rule: today (registration date)"
        case DefaultStartRule.NEXT_TERM:
            return next_term_start(product_periods, registration), (
                "default start rule: next term (first product period on or after registration)"
            )
        case DefaultStartRule.CALENDAR_YEAR:
            return date(registration.year, 1, 1), (
                "default start rule: calendar year (1 January of the registration year)"
            )
        case DefaultStartRule.NONE:
            raise FromDateRequired(
                "the product's default start rule is 'none': enter the from-date"
            )
