"""Billed periods: the first one by the first billing term, the following ones by the
subsequent term (SPEC §1.2, §2.2 rules 20 and 25)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.terms import BillingTerm, period_end


@dataclass(frozen=True)
class Period:
    """A closed range of days, `start` through `end` inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ImpossibleDates(f"period ends {self.end} before it starts {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def next_start(self) -> date:
        return self.end + timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


def billing_period(start: date, term: BillingTerm) -> Period:
    return Period(start, period_end(start, term))


def billing_periods(start: date, first: BillingTerm, subsequent: BillingTerm) -> Iterator[Period]:
    """The periods a subscription starting on `start` is charged for, in order, without end.

    Each period starts the day after the previous one ends, so they tile time. A period is
    computed from its own start (as the legacy system did): a start on the 31st moves to the
    month's last day after a shorter month; period-start rules put starts on the 1st.
    """
    period = billing_period(start, first)
    while True:
        yield period
        period = billing_period(period.next_start, subsequent)
