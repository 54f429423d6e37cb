"""Households and companies: what a primary member passes on to its secondaries."""

from __future__ import annotations

from enum import StrEnum

# A primary's address change reaches its secondaries unless they opted out (SPEC §2.1 rule 5).
ADDRESS_FIELDS = (
    "street_name",
    "street_no",
    "street_letter",
    "floor",
    "floor_side",
    "address",
    "address_2",
    "postcode",
    "city",
    "country_code",
    "municipality_code",
    "region_code",
)


class NamePropagation(StrEnum):
    NONE = "none"
    # The first secondary's name becomes the primary's second name line.
    FIRST_SECONDARY_TO_PRIMARY = "first_secondary_to_primary"
    # The primary's name becomes the second name line of every secondary.
    PRIMARY_TO_SECONDARIES = "primary_to_secondaries"


class HouseholdError(ValueError):
    pass


def check_link(
    *,
    primary_id: object,
    secondary_id: object,
    primary_has_primary: bool,
    secondary_has_secondaries: bool,
) -> None:
    """One level only: a secondary cannot itself have a primary's role, and vice versa."""
    if primary_id == secondary_id:
        raise HouseholdError("a member cannot be its own primary member")
    if primary_has_primary:
        raise HouseholdError("the primary member is itself a secondary member")
    if secondary_has_secondaries:
        raise HouseholdError("the secondary member is the primary member of others")
