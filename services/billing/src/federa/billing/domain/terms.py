"""Billing terms as structured period expressions (SPEC §6.2) and the legacy notation.

A `BillingTerm` is the *length* of a billed period: a period that starts on `s` runs through the
day before `s + length`, so the next period starts exactly where this one ends (no gap, no
overlap). `RUNNING_YEAR` (legacy `LÅ`) instead runs from the start through 31 December of the
start's year (SPEC §2.2 rule 20).

Months are added calendar-wise and clamped to the month's last day (31 Jan + 1 month = 28/29
Feb), as NAV's date formulas do.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from federa.billing.domain.errors import InvalidBillingTerm

# Guards against nonsense and date overflow; no federation bills more than a decade ahead.
_MAX_YEARS = 10
_MAX_MONTHS = 120
_MAX_DAYS = 3660
# A month-based term may subtract days, but never more than the shortest month has.
_SHORTEST_MONTH = 28


@dataclass(frozen=True)
class BillingTerm:
    years: int = 0
    months: int = 0
    days: int = 0
    running_year: bool = False

    def __post_init__(self) -> None:
        if self.running_year:
            if (self.years, self.months, self.days) != (0, 0, 0):
                raise InvalidBillingTerm("a running year (LÅ) has no years, months or days")
            return
        if self.years < 0 or self.months < 0:
            raise InvalidBillingTerm("a billing term cannot have negative years or months")
        if self.years > _MAX_YEARS or self.months > _MAX_MONTHS or abs(self.days) > _MAX_DAYS:
            raise InvalidBillingTerm(f"billing term {self.describe()} is implausibly long")
        if self.years == 0 and self.months == 0:
            if self.days < 1:
                raise InvalidBillingTerm("a billing term must be at least one day long")
        elif self.days <= -_SHORTEST_MONTH:
            raise InvalidBillingTerm(
                f"billing term {self.describe()} could be empty in February; "
                f"subtract fewer than {_SHORTEST_MONTH} days"
            )

    @property
    def whole_months(self) -> int:
        return self.years * 12 + self.months

    def is_one_year(self) -> bool:
        return not self.running_year and self.whole_months == 12 and self.days == 0

    def describe(self) -> str:
        if self.running_year:
            return "running year (to 31 December)"
        parts = [
            _plural(self.years, "year"),
            _plural(self.months, "month"),
            _plural(self.days, "day"),
        ]
        return " ".join(part for part in parts if part) or "0 days"


def _plural(count: int, unit: str) -> str:
    if count == 0:
        return ""
    return f"{count} {unit}" if abs(count) == 1 else f"{count} {unit}s"


YEAR = BillingTerm(years=1)
HALF_YEAR = BillingTerm(months=6)
QUARTER = BillingTerm(months=3)
MONTH = BillingTerm(months=1)
RUNNING_YEAR = BillingTerm(running_year=True)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def period_end(start: date, term: BillingTerm) -> date:
    """Last day of the period that starts on `start`."""
    if term.running_year:
        return date(start.year, 12, 31)
    return add_months(start, term.whole_months) + timedelta(days=term.days - 1)


def next_period_start(start: date, term: BillingTerm) -> date:
    return period_end(start, term) + timedelta(days=1)


# Legacy letters (SPEC §5 row 4, Danish NAV date formulas): Å = år (year), K = kvartal
# (quarter), M = måned (month), D = dag (day); `LÅ` = løbende år (running year).
_UNIT_LETTERS = "ÅKMD"
_PIECE = re.compile(r"([+-]?)(\d+)([ÅKMD])")


def parse_legacy_term(text: str) -> BillingTerm:
    """Read a legacy billing term such as `1Å`, `1Å-1D`, `15M`, `3M`, `1K` or `LÅ`.

    A term of whole years, quarters and months names a length (`15M` is 15 months, SPEC §2.2
    rule 20). A day part makes it NAV's date formula for the period's *last* day: `1Å-1D` ends
    one year minus one day after its first day, i.e. it is one year long (SPEC §5 row 4).
    README "Legacy billing terms" explains why both readings are needed.
    """
    notation = text.strip().upper()
    if notation == "LÅ":
        return RUNNING_YEAR
    if notation.startswith("L"):
        raise InvalidBillingTerm(
            f"billing term {text!r}: only the running year LÅ is supported, not running "
            "quarters or months"
        )
    if not notation:
        raise InvalidBillingTerm("billing term is empty")
    totals = dict.fromkeys(_UNIT_LETTERS, 0)
    seen: set[str] = set()
    position = 0
    for match in _PIECE.finditer(notation):
        sign, number, unit = match.groups()
        if match.start() != position or (position > 0 and not sign):
            break
        if unit in seen:
            raise InvalidBillingTerm(f"billing term {text!r} names {unit} twice")
        seen.add(unit)
        totals[unit] = -int(number) if sign == "-" else int(number)
        position = match.end()
    if position != len(notation):
        raise InvalidBillingTerm(
            f"billing term {text!r} is not legacy notation: expected pieces like 1Å, 3M, 1K, "
            "14D joined by + or - (e.g. 1Å-1D), or LÅ"
        )
    years, months = totals["Å"], totals["M"] + 3 * totals["K"]
    if "D" not in seen:
        return BillingTerm(years=years, months=months)
    # A day part: the formula gives the last day, so the length is one day more.
    return BillingTerm(years=years, months=months, days=totals["D"] + 1)
