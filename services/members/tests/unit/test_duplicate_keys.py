"""The street key the duplicate check compares: street words and house number with letter."""

from __future__ import annotations

import pytest

from federa.members.domain.duplicate_keys import street_key


@pytest.mark.parametrize(
    ("split", "line", "key"),
    [
        (("Vestergade", "12", "B"), "Vestergade 12B, 2. th.", "vestergade|12b"),
        (("Vestergade", "12", None), "vestergade 12, st", "vestergade|12"),
        (("Vester Gade", "12", "b"), "VESTERGADE 12 B", "vestergade|12b"),
        (("Søndre Allé", "3", None), "Sondre Alle 3", None),
        (("10. Februar Vej", "3", None), "10. Februar Vej 3", "10februarvej|3"),
        (("Vestergade", None, None), "Vestergade", "vestergade|"),
    ],
)
def test_split_and_one_line_addresses_give_one_key(
    split: tuple[str, str | None, str | None], line: str, key: str | None
) -> None:
    from_split = street_key(*split, None)
    from_line = street_key(None, None, None, line)
    if key is None:
        # Folding is not transliteration: "ø" is "oe", so "Sondre" is another street.
        assert from_split != from_line
    else:
        assert from_split == from_line == key


def test_the_line_wins_over_the_parts_it_was_composed_from() -> None:
    assert street_key("Vestergade", "12", None, "Vestergade 12B") == "vestergade|12b"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("Vestergade 12 2 th", "vestergade|12"),
        ("Vestergade 12 A 1 tv", "vestergade|12a"),
        ("Vestergade 12 st", "vestergade|12"),
        ("Vestergade 12", "vestergade|12"),
    ],
)
def test_floor_and_side_are_not_part_of_the_key(line: str, key: str) -> None:
    assert street_key(None, None, None, line) == key


def test_no_street_no_key() -> None:
    assert street_key(None, None, None, None) is None
    assert street_key("  ", "12", None, " ") is None
