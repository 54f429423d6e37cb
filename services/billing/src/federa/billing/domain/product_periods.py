"""Product periods: the product's billing calendar (SPEC §1.2 *Ydelsesperioder*, §2.2 rule 26)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise

from federa.billing.domain.errors import InvalidCatalogue, MissingProductPeriods
from federa.billing.domain.periods import Period, billing_periods
from federa.billing.domain.terms import BillingTerm

_MAX_GENERATED = 1200


def generate_periods(start: date, count: int, length: BillingTerm) -> tuple[Period, ...]:
    """`GeneratePeriods(start, count, length)`: `count` consecutive periods from `start`."""
    if not 1 <= count <= _MAX_GENERATED:
        raise InvalidCatalogue(f"generate between 1 and {_MAX_GENERATED} periods, not {count}")
    if length.running_year:
        raise InvalidCatalogue("product periods need a fixed length, not a running year")
    periods = billing_periods(start, length, length)
    return tuple(next(periods) for _ in range(count))


def check_product_periods(periods: Sequence[Period]) -> None:
    """Product periods may be generated in several batches but never overlap."""
    ordered = sorted(periods, key=lambda period: period.start)
    for before, after in pairwise(ordered):
        if after.start <= before.end:
            raise InvalidCatalogue(f"product periods {before} and {after} overlap")


def next_term_start(periods: Sequence[Period], day: date) -> date:
    """First day of the first product period that starts on or after `day` (start rule
    "next term", SPEC §2.2 rule 3)."""
    starts = [period.start for period in periods if period.start >= day]
    if not starts:
        raise MissingProductPeriods(f"no product period starts on or after {day}")
    return min(starts)


def periods_required_through(bill_through: date) -> date:
    """SPEC §2.2 rule 26 / §5 row 7: periods must exist through the end of the year after the
    year being billed."""
    return date(bill_through.year + 1, 12, 31)


def check_periods_cover(periods: Sequence[Period], product: str, bill_through: date) -> None:
    """Refuse to bill unless product periods cover, without gaps, every day from the
    bill-through date to the end of the following year (SPEC §2.2 rule 26)."""
    required = periods_required_through(bill_through)
    covered_through = None
    for period in sorted(periods, key=lambda period: period.start):
        if period.end < bill_through:
            continue
        reach = bill_through if covered_through is None else covered_through.next_start
        if period.start > reach:
            break
        covered_through = period
        if period.end >= required:
            return
    reached = "none" if covered_through is None else f"only through {covered_through.end}"
    raise MissingProductPeriods(
        f"product {product}: billing through {bill_through} needs product periods through "
        f"{required}, {reached}"
    )
