"""Promotion's pure rules: which member fields an alternative address sets; the nightly clock."""

from __future__ import annotations

from datetime import datetime

from federa.members.alternative_addresses import promoted_values
from federa.members.domain.household import ADDRESS_FIELDS
from federa.shared.daily import seconds_until_next_run


def test_a_promoted_address_sets_every_address_field_of_the_member() -> None:
    values = promoted_values(
        {
            "address": "Strandvejen 4",
            "address_2": "c/o Berg",
            "postcode": "3100",
            "city": "Hornbæk",
            "country_code": "DK",
            "name": "Anna Holm",
            "email": "anna@example.org",
        }
    )

    assert set(values) == set(ADDRESS_FIELDS)
    assert (values["address"], values["postcode"], values["city"]) == (
        "Strandvejen 4",
        "3100",
        "Hornbæk",
    )
    # The one-line address replaces the split street fields and the derived codes.
    assert values["street_name"] is None
    assert values["municipality_code"] is None


def test_the_next_run_is_at_five_past_midnight() -> None:
    assert seconds_until_next_run(datetime(2025, 3, 1, 0, 0)) == 5 * 60
    assert seconds_until_next_run(datetime(2025, 3, 1, 0, 5)) == 24 * 3600
    assert seconds_until_next_run(datetime(2025, 3, 1, 23, 0)) == 65 * 60
