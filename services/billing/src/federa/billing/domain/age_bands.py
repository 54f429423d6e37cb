"""Age-based prices: a price code whose bands point to other price codes by the member's age on
a reference date, so a member moves from Youth to Ordinary without anyone touching the
subscription (issue "Age-based prices"; SPEC §1.2 *Medlemsavgift*: age-based fee categories)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from federa.billing.domain.errors import InvalidCatalogue


class AgeReference(Enum):
    """The day a member's age is taken on for a charged period."""

    FIRST_OF_JANUARY = "first_of_january"  # of the year the charged period starts in
    PERIOD_START = "period_start"


@dataclass(frozen=True)
class AgeBand:
    """Members aged up to and including `up_to_age` (no limit when None) are priced by
    `price_code` of the same product."""

    up_to_age: int | None
    price_code: str


def check_age_bands(bands: Sequence[AgeBand]) -> None:
    """Bands ascend by age and the last one has no upper limit, so every age has a band."""
    if not bands:
        return
    if bands[-1].up_to_age is not None:
        raise InvalidCatalogue("the last age band must have no upper age")
    limits: list[int] = []
    for band in bands[:-1]:
        if band.up_to_age is None or band.up_to_age < 0:
            raise InvalidCatalogue("only the last age band may be open; ages are not negative")
        limits.append(band.up_to_age)
    if limits != sorted(set(limits)):
        raise InvalidCatalogue(f"age bands must ascend strictly, not {limits}")


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day`; someone born on 29 February turns a year older on 1 March in
    a common year."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_reference_date(reference: AgeReference, period_start: date) -> date:
    if reference is AgeReference.FIRST_OF_JANUARY:
        return date(period_start.year, 1, 1)
    return period_start


def band_for_age(bands: Sequence[AgeBand], age: int) -> AgeBand:
    for band in bands:
        if band.up_to_age is None or age <= band.up_to_age:
            return band
    raise InvalidCatalogue(f"no age band covers age {age}")
