"""Revenue deferral, *Periodisering* (SPEC §2.2 rule 33): a line of a product with a deferral
account is posted to that account at issue, and its amount is moved to the revenue account
fiscal period by fiscal period over the period it pays for.

Pure: the schedule of one line, which of its shares a recognition takes and in which fiscal
period each is booked, and the checks on a product's deferral accounting. The store reads the
lines in batches and writes what these functions decide (README "Revenue deferral").

Decisions:
- Fiscal periods are calendar months (the source's "regnskabsperioder, som regel 12
  måneder"); the tenant's first month of the fiscal year only numbers them (period 1-12 of
  the fiscal year starting in that month).
- A line's amount is split over the months its period_from..period_to touches, in proportion
  to the days of the period in each month; the shares are whole minor units that always sum
  exactly to the line's amount (largest remainder; ties go to the earlier month). A credit
  memo line has the same period and amount as the line it credits, so its shares are exactly
  the invoice line's, reversed.
- A line without a period (nothing to spread over) is recognised whole in the fiscal period of
  its document's posting date.
- Nothing is moved before it is on the deferral account: a share is booked no earlier than
  the fiscal period of its document's posting date, and a share of a fiscal period an earlier
  recognition closed (a backdated or late document) is booked in the first period of the next
  recognition (closed periods are not reopened).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from federa.billing.domain.errors import BillingRuleError


class DeferralSchedule(Enum):
    """*Periodiseringsterminer*: *Ingen periodisering* posts the full amount to revenue (an
    account may be kept for later); *Pr. regnskabsperiode* spreads it over fiscal periods."""

    NONE = "none"
    PER_FISCAL_PERIOD = "per_fiscal_period"


class InvalidDeferral(BillingRuleError):
    """A product's deferral accounting that could never be recognised."""

    code = "invalid-deferral"


class InvalidFiscalPeriod(BillingRuleError):
    code = "invalid-fiscal-period"


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """One fiscal period: a calendar month, written `YYYY-MM`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise InvalidFiscalPeriod(f"{self.year:04d}-{self.month:02d} is not a month.")

    @classmethod
    def of(cls, day: date) -> FiscalPeriod:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> FiscalPeriod:
        year, sep, month = text.partition("-")
        if not sep or len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
            raise InvalidFiscalPeriod(f"{text!r} is not a fiscal period (YYYY-MM).")
        return cls(int(year), int(month))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> FiscalPeriod:
        return FiscalPeriod.of(self.last_day + timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class FiscalYear:
    """The tenant's fiscal year: it starts on the first of `first_month` (default January)."""

    first_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.first_month <= 12:
            raise InvalidFiscalPeriod(f"Month {self.first_month} does not exist.")

    def start_of(self, period: FiscalPeriod) -> date:
        """The first day of the fiscal year `period` belongs to."""
        year = period.year if period.month >= self.first_month else period.year - 1
        return date(year, self.first_month, 1)

    def period_no(self, period: FiscalPeriod) -> int:
        """1 for the fiscal year's first month, 12 for its last."""
        return (period.month - self.first_month) % 12 + 1


def months_of(period_from: date, period_to: date) -> list[tuple[FiscalPeriod, int]]:
    """The fiscal periods `period_from..period_to` (both included) touches, each with its
    number of days in the range."""
    if period_to < period_from:
        raise InvalidDeferral(f"The period {period_from}..{period_to} ends before it starts.")
    found = []
    start = period_from
    while start <= period_to:
        month = FiscalPeriod.of(start)
        end = min(month.last_day, period_to)
        found.append((month, (end - start).days + 1))
        start = end + timedelta(days=1)
    return found


def split_by_weights(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` in whole minor units in proportion to `weights` (positive), summing exactly
    to `amount`: each gets the floor of its exact share, and the units left over go to the
    largest remainders, the earlier first on a tie. A negative amount splits as its opposite."""
    if amount < 0:
        return [-part for part in split_by_weights(-amount, weights)]
    total = sum(weights)
    if total <= 0 or any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts


@dataclass(frozen=True)
class DeferredLine:
    """A document line on a deferral account. `amount` is signed: a credit memo's line is
    negative, because recognising it moves revenue back onto the deferral account."""

    amount: int
    period_from: date | None
    period_to: date | None
    posted_on: date


def schedule(line: DeferredLine) -> list[tuple[FiscalPeriod, int]]:
    """The line's amount per fiscal period, in period order, zero shares included."""
    if line.period_from is None or line.period_to is None:
        return [(FiscalPeriod.of(line.posted_on), line.amount)]
    months = months_of(line.period_from, line.period_to)
    parts = split_by_weights(line.amount, [days for _, days in months])
    return [(month, part) for (month, _), part in zip(months, parts, strict=True)]


@dataclass(frozen=True)
class Share:
    """One fiscal period's share of a line (`period`) and the period it is booked in."""

    period: FiscalPeriod
    booked_in: FiscalPeriod
    amount: int


def shares_to_recognise(
    line: DeferredLine,
    *,
    through: FiscalPeriod,
    line_recognised_through: FiscalPeriod | None,
    first_open: FiscalPeriod | None,
) -> list[Share]:
    """The shares a recognition through `through` takes of `line`.

    `line_recognised_through` is the latest period of the line's shares recognised before
    (a recognition takes every share of a line up to its `through` at once, so the earlier
    ones are exactly those up to it); `first_open` the first period this recognition opens
    (None for a tenant's first). A document posted after `through` waits: nothing is moved
    off the deferral account before it got there."""
    posted = FiscalPeriod.of(line.posted_on)
    if posted > through:
        return []
    found = []
    for period, amount in schedule(line):
        if period > through:
            break
        if line_recognised_through is not None and period <= line_recognised_through:
            continue
        booked = max(period, posted) if first_open is None else max(period, posted, first_open)
        found.append(Share(period, booked, amount))
    return found


def check_deferral_accounting(
    product: str,
    *,
    schedule: DeferralSchedule,
    deferral_account: str | None,
    postage_deferral_account: str | None,
    revenue_account: str | None,
) -> None:
    """A schedule needs an account to defer on, and a revenue account to move the amount to;
    the deferral account must not be the revenue account (nothing would ever move)."""
    if schedule is DeferralSchedule.NONE:
        return
    if deferral_account is None and postage_deferral_account is None:
        raise InvalidDeferral(
            f"Product {product} has the deferral schedule {schedule.value} but no deferral "
            "account (nor postage deferral account)."
        )
    if revenue_account is None:
        raise InvalidDeferral(
            f"Product {product} defers its revenue but has no revenue account to move it to."
        )
    if revenue_account in (deferral_account, postage_deferral_account):
        raise InvalidDeferral(
            f"Product {product}: the deferral account must differ from the revenue account "
            f"{revenue_account}."
        )
