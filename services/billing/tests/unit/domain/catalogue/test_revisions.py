"""A catalogue change is valid only if the whole revised catalogue is (`Catalogue.revised`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from federa.billing.domain.catalogue import Catalogue, PriceCode, Product, ReasonAction, ReasonCode
from federa.billing.domain.errors import (
    MissingReasonCode,
    OverlappingPriceValidity,
    UnknownPriceCode,
    UnknownProduct,
)
from federa.billing.domain.postage import PostagePrice
from federa.billing.domain.terms import YEAR

MEMBER = Product("MEMBER", "Membership")
ORDINARY = PriceCode("MEMBER", "ORD", "Ordinary", YEAR, YEAR)


def test_a_revision_adds_or_replaces_by_key_and_keeps_the_rest() -> None:
    catalogue = Catalogue.of(products=[MEMBER], price_codes=[ORDINARY])
    renamed = replace(MEMBER, description="Full membership", default_price_code="ORD")
    magazine = Product("MAG", "Magazine")

    revised = catalogue.revised(products=[renamed, magazine])

    assert revised.product("MEMBER").description == "Full membership"
    assert set(revised.products) == {"MEMBER", "MAG"}
    assert revised.price_code("MEMBER", "ORD") == ORDINARY
    assert catalogue.product("MEMBER") == MEMBER  # the original is untouched


def test_a_revision_that_breaks_a_reference_is_refused() -> None:
    catalogue = Catalogue.of(products=[MEMBER], price_codes=[ORDINARY])
    with pytest.raises(UnknownPriceCode):
        catalogue.revised(products=[replace(MEMBER, default_price_code="NOPE")])
    with pytest.raises(UnknownProduct):
        catalogue.revised(products=[replace(MEMBER, related_stops=("NOPE",))])
    with pytest.raises(UnknownProduct):
        catalogue.revised(price_codes=[replace(ORDINARY, product="NOPE")])


def test_postage_is_replaced_as_a_whole_and_checked_for_overlap() -> None:
    catalogue = Catalogue.of(products=[MEMBER], price_codes=[ORDINARY])
    price = PostagePrice("NO", None, date(2025, 1, 1), "Porto", 900)
    assert catalogue.revised(postage=[price]).postage == (price,)
    with pytest.raises(OverlappingPriceValidity):
        catalogue.revised(postage=[price, price])


def test_settings_must_name_existing_products_and_a_stop_reason() -> None:
    catalogue = Catalogue.of(products=[MEMBER], price_codes=[ORDINARY])
    settings = catalogue.with_settings(
        prerequisite_product="MEMBER", default_product="MEMBER", default_stop_reason="STOP"
    )
    assert (settings.prerequisite_product, settings.default_product) == ("MEMBER", "MEMBER")
    with pytest.raises(UnknownProduct):
        catalogue.with_settings(
            prerequisite_product="NOPE", default_product=None, default_stop_reason="STOP"
        )
    with pytest.raises(MissingReasonCode):
        catalogue.with_settings(
            prerequisite_product=None, default_product=None, default_stop_reason="START"
        )
    left = ReasonCode("UDM", ReasonAction.STOP, "Left", new_member_status="left")
    revised = catalogue.revised(reason_codes=[left])
    assert revised.reason("UDM", ReasonAction.STOP) == left
