"""Catalogue definitions and the standard reason codes (SPEC §2.2 entities, §5 rows 1-2)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from federa.billing.domain.age_bands import AgeBand
from federa.billing.domain.catalogue import (
    STANDARD_REASON_CODES,
    Catalogue,
    PriceCode,
    Product,
    ReasonAction,
    ReasonCode,
)
from federa.billing.domain.errors import (
    InvalidCatalogue,
    MissingReasonCode,
    OverlappingPriceValidity,
    UnknownPriceCode,
    UnknownProduct,
)
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import change_price_code, start_subscription
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.terms import HALF_YEAR, RUNNING_YEAR, YEAR, BillingTerm

PRICES = (DatedPrice(date(2025, 1, 1), 45000),)


def _code(
    code: str,
    *,
    first_term: BillingTerm = YEAR,
    subsequent_term: BillingTerm = YEAR,
    prices: tuple[DatedPrice, ...] = PRICES,
    age_bands: tuple[AgeBand, ...] = (),
    discount: Decimal = Decimal(0),
) -> PriceCode:
    return PriceCode(
        "MEMBER",
        code,
        code.title(),
        first_term,
        subsequent_term,
        prices=prices,
        age_bands=age_bands,
        first_period_discount_pct=discount,
    )


def test_a_tenant_starts_with_exactly_the_eight_standard_reason_codes() -> None:
    # SPEC §5 row 1 / manual §5.1.2.
    assert {(reason.code, reason.action) for reason in STANDARD_REASON_CODES} == {
        ("DEB+", ReasonAction.PAYER_TO),
        ("DEB-", ReasonAction.PAYER_FROM),
        ("FLYT+", ReasonAction.MOVE_IN),
        ("FLYT-", ReasonAction.MOVE_OUT),
        ("PRIS+", ReasonAction.PRICE_TO),
        ("PRIS-", ReasonAction.PRICE_FROM),
        ("START", ReasonAction.START),
        ("STOP", ReasonAction.STOP),
    }


def test_a_lifecycle_command_fails_when_the_products_reason_code_is_missing() -> None:
    # SPEC §5 row 1: "lifecycle commands fail if the product's configured code is missing".
    without_price_codes = [r for r in STANDARD_REASON_CODES if not r.code.startswith("PRIS")]
    catalogue = Catalogue.of(
        products=[Product("MEMBER", "Membership", default_price_code="ORD")],
        price_codes=[_code("ORD"), _code("PENS")],
        reason_codes=without_price_codes,
    )
    started = start_subscription(
        catalogue,
        MemberFacts(MemberId(uuid.uuid4())),
        subscription_no=1,
        payer=PayerId(uuid.uuid4()),
        today=date(2025, 1, 1),
        product="MEMBER",
    )
    with pytest.raises(MissingReasonCode, match="PRIS-"):
        change_price_code(started.state, catalogue, new_price_code="PENS", today=date(2025, 1, 1))


def test_a_reason_code_with_the_wrong_action_does_not_count() -> None:
    catalogue = Catalogue.of(products=[], price_codes=[])
    with pytest.raises(MissingReasonCode):
        catalogue.reason("START", ReasonAction.STOP)


def test_stop_options_belong_on_stop_reasons() -> None:
    with pytest.raises(InvalidCatalogue):
        ReasonCode("START", ReasonAction.START, "Start", credit_on_stop=True)


@pytest.mark.parametrize("code", ["Abonnement", "Medlemskab", "M"])
def test_product_codes_of_up_to_ten_characters_are_accepted(code: str) -> None:
    assert Product(code, "x").code == code


@pytest.mark.parametrize("code", ["Abonnement1", ""])
def test_an_eleven_character_product_code_is_rejected(code: str) -> None:
    # SPEC §5 row 2.
    with pytest.raises(InvalidCatalogue, match="1-10 characters"):
        Product(code, "x")


def test_a_running_year_needs_yearly_prices() -> None:
    with pytest.raises(InvalidCatalogue, match="running year"):
        _code("ORD", first_term=RUNNING_YEAR, subsequent_term=HALF_YEAR)
    assert _code("ORD", first_term=RUNNING_YEAR).first_term == RUNNING_YEAR


def test_a_first_period_discount_is_between_zero_and_a_hundred_percent() -> None:
    with pytest.raises(InvalidCatalogue):
        _code("ORD", discount=Decimal("100.01"))


def test_a_price_code_with_two_prices_from_one_day_is_refused() -> None:
    prices = (DatedPrice(date(2025, 1, 1), 1), DatedPrice(date(2025, 1, 1), 2))
    with pytest.raises(OverlappingPriceValidity):
        _code("ORD", prices=prices)


def test_an_age_banded_price_code_has_no_prices_of_its_own() -> None:
    with pytest.raises(InvalidCatalogue, match="age bands"):
        _code("AGE", age_bands=(AgeBand(None, "ORD"),))


def test_age_bands_point_to_price_codes_of_the_same_product_without_bands() -> None:
    product = Product("MEMBER", "Membership")
    age = _code("AGE", prices=(), age_bands=(AgeBand(None, "ORD"),))
    with pytest.raises(UnknownPriceCode):
        Catalogue.of(products=[product], price_codes=[age])
    nested = _code("AGE2", prices=(), age_bands=(AgeBand(None, "AGE"),))
    with pytest.raises(InvalidCatalogue, match="age bands itself"):
        Catalogue.of(products=[product], price_codes=[_code("ORD"), age, nested])


def test_a_catalogue_refuses_dangling_references_and_duplicates() -> None:
    with pytest.raises(UnknownProduct):
        Catalogue.of(products=[], price_codes=[_code("ORD")])
    with pytest.raises(UnknownPriceCode):
        Catalogue.of(products=[Product("MEMBER", "x", default_price_code="ORD")], price_codes=[])
    with pytest.raises(InvalidCatalogue, match="defined twice"):
        Catalogue.of(products=[Product("MEMBER", "x")], price_codes=[_code("ORD"), _code("ORD")])
