"""Age-based prices: age on a reference date picks the band's price code (README "Age bands")."""

from __future__ import annotations

from datetime import date

import pytest

from federa.billing.domain.age_bands import (
    AgeBand,
    AgeReference,
    age_on,
    age_reference_date,
    band_for_age,
    check_age_bands,
)
from federa.billing.domain.errors import InvalidCatalogue

BANDS = (AgeBand(17, "YOUTH"), AgeBand(25, "STUDENT"), AgeBand(None, "ORD"))


def test_age_counts_completed_years() -> None:
    assert age_on(date(2010, 6, 15), date(2027, 6, 14)) == 16
    assert age_on(date(2010, 6, 15), date(2027, 6, 15)) == 17


def test_someone_born_on_leap_day_is_a_year_older_on_the_first_of_march() -> None:
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 16
    assert age_on(date(2008, 2, 29), date(2025, 3, 1)) == 17


def test_by_default_age_is_taken_on_the_first_of_january_of_the_billed_year() -> None:
    reference = age_reference_date(AgeReference.FIRST_OF_JANUARY, date(2027, 8, 1))
    assert reference == date(2027, 1, 1)
    assert age_reference_date(AgeReference.PERIOD_START, date(2027, 8, 1)) == date(2027, 8, 1)


@pytest.mark.parametrize(
    ("age", "price_code"),
    [(0, "YOUTH"), (17, "YOUTH"), (18, "STUDENT"), (25, "STUDENT"), (26, "ORD")],
)
def test_each_age_falls_in_exactly_one_band(age: int, price_code: str) -> None:
    assert band_for_age(BANDS, age).price_code == price_code


@pytest.mark.parametrize(
    "bands",
    [
        (AgeBand(17, "YOUTH"),),  # no open band: some ages unpriced
        (AgeBand(None, "ORD"), AgeBand(17, "YOUTH")),
        (AgeBand(25, "STUDENT"), AgeBand(17, "YOUTH"), AgeBand(None, "ORD")),
        (AgeBand(-1, "BABY"), AgeBand(None, "ORD")),
    ],
)
def test_age_bands_ascend_and_end_open(bands: tuple[AgeBand, ...]) -> None:
    with pytest.raises(InvalidCatalogue):
        check_age_bands(bands)
