from __future__ import annotations

from datetime import date

import pytest

from federa.members.domain.addresses import StreetAddress
from federa.members.domain.history import changes
from federa.members.domain.household import HouseholdError, check_link
from federa.members.domain.periods import is_active


@pytest.mark.parametrize(
    ("parts", "line"),
    [
        (("Vestergade", "12", None, None, None), "Vestergade 12"),
        (("Vestergade", "12", "b", None, None), "Vestergade 12B"),
        (("Vestergade", "12", "B", "2", "th"), "Vestergade 12B, 2. th."),
        (("Nørrebrogade", "3", None, "st", "tv"), "Nørrebrogade 3, st tv."),
        (("Torvet", None, None, None, None), "Torvet"),
    ],
)
def test_a_split_address_composes_to_one_line(
    parts: tuple[str, str | None, str | None, str | None, str | None], line: str
) -> None:
    assert StreetAddress(*parts).one_line() == line


def test_changes_name_each_field_from_and_to() -> None:
    before = {"email": "a@x.dk", "birth_date": date(1990, 1, 1), "tags": ["a"]}
    after = {"email": "b@x.dk", "birth_date": date(1990, 1, 1), "tags": ["a", "b"]}
    assert changes(before, after, ["email", "birth_date", "tags"]) == {
        "email": {"from": "a@x.dk", "to": "b@x.dk"},
        "tags": {"from": ["a"], "to": ["a", "b"]},
    }


@pytest.mark.parametrize(
    ("start", "end", "day", "active"),
    [
        (date(2026, 1, 1), None, date(2026, 1, 1), True),
        (date(2026, 1, 1), None, date(2025, 12, 31), False),
        (date(2026, 1, 1), date(2026, 6, 30), date(2026, 6, 30), True),
        (date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1), False),
    ],
)
def test_active_is_derived_from_the_dates(
    start: date, end: date | None, day: date, active: bool
) -> None:
    assert is_active(start, end, day) is active


def test_households_are_one_level_deep() -> None:
    check_link(
        primary_id=1, secondary_id=2, primary_has_primary=False, secondary_has_secondaries=False
    )
    with pytest.raises(HouseholdError, match="own primary"):
        check_link(
            primary_id=1, secondary_id=1, primary_has_primary=False, secondary_has_secondaries=False
        )
    with pytest.raises(HouseholdError, match="itself a secondary"):
        check_link(
            primary_id=1, secondary_id=2, primary_has_primary=True, secondary_has_secondaries=False
        )
    with pytest.raises(HouseholdError, match="primary member of others"):
        check_link(
            primary_id=1, secondary_id=2, primary_has_primary=False, secondary_has_secondaries=True
        )
