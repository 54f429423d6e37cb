"""Age distribution, SPEC §2.5 item 4: born before or after a year (the manual's 1936) and
older or younger than an age (65) on a reference date."""

from __future__ import annotations

from datetime import date

DEFAULT_BIRTH_YEAR = 1936
DEFAULT_AGE = 65


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_bucket(
    birth: date | None, birth_year: int | None, day: date, year_threshold: int, age_threshold: int
) -> tuple[str, str]:
    """(born before/after the year, at least/under the age); "unknown" where no birth data.

    "Born before 1936" means born in 1935 or earlier; with only a birth year the age is
    the age reached during the reference year.
    """
    year = birth.year if birth else birth_year
    if year is None:
        return ("unknown", "unknown")
    by_year = "before" if year < year_threshold else "from"
    age = age_on(birth, day) if birth else day.year - year
    by_age = "at_least" if age >= age_threshold else "under"
    return (by_year, by_age)
