"""Postage by country and postcode, and branch shares (SPEC §2.2 rules 21 and 34)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.billing.domain.branch_shares import BranchShare, branch_share_for, check_branch_shares
from federa.billing.domain.errors import InvalidCatalogue, OverlappingPriceValidity
from federa.billing.domain.ids import OrganisationId
from federa.billing.domain.postage import PostagePrice, check_postage_prices, postage_on

POSTAGE = (
    PostagePrice("SE", None, date(2025, 1, 1), "Porto Sverige", 2500),
    PostagePrice("SE", None, date(2026, 1, 1), "Porto Sverige", 2800),
    PostagePrice("NO", None, date(2025, 1, 1), "Porto Norge", 3000),
    PostagePrice("NO", "9170", date(2025, 1, 1), "Porto Svalbard", 6000),
)


def test_postage_is_the_countrys_price_valid_on_the_periods_start() -> None:
    assert postage_on(POSTAGE, "SE", None, date(2025, 12, 31)) == POSTAGE[0]
    assert postage_on(POSTAGE, "SE", "11122", date(2026, 1, 1)) == POSTAGE[1]


def test_a_postcode_price_wins_over_the_countrys() -> None:
    assert postage_on(POSTAGE, "NO", "9170", date(2026, 1, 1)) == POSTAGE[3]
    assert postage_on(POSTAGE, "NO", "0150", date(2026, 1, 1)) == POSTAGE[2]


def test_no_postage_is_found_for_a_country_without_a_price() -> None:
    assert postage_on(POSTAGE, "DK", "2100", date(2026, 1, 1)) is None
    assert postage_on(POSTAGE, "SE", None, date(2024, 12, 31)) is None


def test_two_postage_prices_for_the_same_place_and_day_are_refused() -> None:
    with pytest.raises(OverlappingPriceValidity, match="NO 9170"):
        check_postage_prices([*POSTAGE, PostagePrice("NO", "9170", date(2025, 1, 1), "x", 1)])


def test_a_branch_gets_its_fixed_share_of_the_product() -> None:
    branch = OrganisationId(uuid.uuid4())
    other = OrganisationId(uuid.uuid4())
    shares = (BranchShare("MEMBER", branch, "Aarhus", 5000),)
    assert branch_share_for(shares, "MEMBER", branch) == shares[0]
    assert branch_share_for(shares, "MAGAZINE", branch) is None
    assert branch_share_for(shares, "MEMBER", other) is None
    assert branch_share_for(shares, "MEMBER", None) is None


def test_one_organisation_has_one_share_per_product() -> None:
    branch = OrganisationId(uuid.uuid4())
    with pytest.raises(InvalidCatalogue):
        check_branch_shares(
            [
                BranchShare("MEMBER", branch, "Aarhus", 5000),
                BranchShare("MEMBER", branch, "Aarhus", 1),
            ]
        )
