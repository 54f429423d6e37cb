"""Calendar arithmetic the statistics share: months of a charged period, chart buckets."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

# The average month, for the days a period has beyond its whole months.
_DAYS_PER_MONTH = Fraction(36525, 1200)


@dataclass(frozen=True)
class Period:
    """Both ends inclusive."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period cannot end ({self.last}) before it starts ({self.first})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_covered(first: date, last: date) -> Fraction:
    """How many months `first`..`last` (inclusive) covers: whole calendar months, then the
    remaining days at the average month's length. 1 Jan-31 Dec is 12; 15 Mar-14 Apr is 1."""
    if last < first:
        return Fraction(0)
    end = last + timedelta(days=1)
    whole = (end.year - first.year) * 12 + end.month - first.month
    while whole > 0 and add_months(first, whole) > end:
        whole -= 1
    rest = (end - add_months(first, whole)).days
    return whole + Fraction(rest) / _DAYS_PER_MONTH


def whole_months(first: date, last: date) -> int:
    """Months covered, rounded to the nearest whole month (a 1Å-1D term is 12)."""
    return round(months_covered(first, last))


def monthly_amount(amount: int, first: date, last: date) -> int:
    """An amount charged for `first`..`last`, per month, in minor units (half up)."""
    months = months_covered(first, last)
    if months <= 0:
        return 0
    per_month = Fraction(amount) / months
    return int(per_month + Fraction(1, 2)) if per_month >= 0 else -int(-per_month + Fraction(1, 2))


class Grain(StrEnum):
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


def bucket_of(day: date, grain: Grain) -> date:
    """The first day of the month, ISO week (Monday) or day that `day` falls in."""
    if grain is Grain.MONTH:
        return day.replace(day=1)
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    return day


def buckets(period: Period, grain: Grain) -> list[date]:
    """Every bucket the period touches, in order, so a chart shows empty ones too."""
    out: list[date] = []
    current = bucket_of(period.first, grain)
    while current <= period.last:
        out.append(current)
        if grain is Grain.MONTH:
            current = add_months(current, 1)
        elif grain is Grain.WEEK:
            current += timedelta(days=7)
        else:
            current += timedelta(days=1)
    return out
