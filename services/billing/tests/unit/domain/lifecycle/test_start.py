"""Starting a subscription (SPEC §2.2 rules 1-5, §5 row 8)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.errors import (
    FromDateRequired,
    ImpossibleDates,
    InvalidQuantity,
    MissingReasonCode,
    PrerequisiteProductMissing,
    StopReasonRequired,
    UnknownPriceCode,
)
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import Changed, start_subscription
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.start_dates import DefaultStartRule, PeriodStartRule
from federa.billing.domain.subscription import (
    LifecycleKind,
    SubscriptionStatus,
    price_code_on,
    status_on,
)
from federa.billing.domain.terms import YEAR

PRICES = (DatedPrice(date(2024, 1, 1), 45000),)
CATALOGUE = Catalogue.of(
    products=[
        Product(
            "MEMBER",
            "Membership",
            default_price_code="ORD",
            default_start_rule=DefaultStartRule.CALENDAR_YEAR,
            default_billed_qty=1,
        ),
        Product(
            "MAGAZINE",
            "Magazine",
            default_price_code="STD",
            default_start_rule=DefaultStartRule.NONE,
            period_start_rules=(PeriodStartRule(1, 10, 12),),
            default_delivered_qty=2,
        ),
    ],
    price_codes=[
        PriceCode("MEMBER", "ORD", "Ordinary", YEAR, YEAR, prices=PRICES),
        PriceCode("MEMBER", "FAMILY", "Family", YEAR, YEAR, prices=PRICES, persons=4),
        PriceCode("MAGAZINE", "STD", "Standard", YEAR, YEAR, prices=PRICES),
    ],
    prerequisite_product="MEMBER",
    default_product="MEMBER",
)
MEMBER = MemberFacts(MemberId(uuid.uuid4()))
PAYER = PayerId(uuid.uuid4())


def _start(
    member: MemberFacts = MEMBER, today: date = date(2024, 8, 20), **options: Any
) -> Changed:
    return start_subscription(
        CATALOGUE, member, subscription_no=1, payer=PAYER, today=today, **options
    )


def test_a_start_takes_the_tenants_product_and_the_products_price_code() -> None:
    started = _start()
    assert (started.state.product, started.state.price_code) == ("MEMBER", "ORD")
    assert (started.state.billed_qty, started.state.delivered_qty, started.state.persons) == (
        1,
        1,
        1,
    )


def test_a_start_writes_one_start_entry_on_the_from_date() -> None:
    started = _start()
    (entry,) = started.entries
    assert (entry.kind, entry.reason_code, entry.effective, entry.new_value) == (
        LifecycleKind.START,
        "START",
        date(2024, 1, 1),
        "ORD",
    )
    assert started.state.lifecycle == started.entries


def test_the_registration_date_defaults_to_today_and_may_be_back_dated() -> None:
    assert _start().state.registration_date == date(2024, 8, 20)
    back_dated = _start(registration_date=date(2023, 12, 30))
    assert back_dated.state.registration_date == date(2023, 12, 30)
    assert back_dated.state.from_date == date(2023, 1, 1)  # calendar year of registration
    assert back_dated.entries[0].recorded_on == date(2024, 8, 20)


def test_the_from_date_follows_the_products_calendar_year_rule() -> None:
    # SPEC §5 row 8: start on 2024-08-20 with calendar-year rule → 2024-01-01.
    assert _start().state.from_date == date(2024, 1, 1)


def test_staff_may_override_the_proposed_from_date() -> None:
    assert _start(from_date=date(2024, 9, 1)).state.from_date == date(2024, 9, 1)


def test_quantities_come_from_the_price_code_before_the_product() -> None:
    assert _start(price_code="FAMILY").state.persons == 4
    member = MemberFacts(MEMBER.member_id, active_products=frozenset({"MEMBER"}))
    magazine = _start(member, product="MAGAZINE", today=date(2024, 11, 3))
    assert magazine.state.delivered_qty == 2
    assert _start(billed_qty=3).state.billed_qty == 3


def test_no_other_product_starts_without_the_prerequisite_product() -> None:
    with pytest.raises(PrerequisiteProductMissing, match="MEMBER"):
        _start(product="MAGAZINE", from_date=date(2024, 9, 1))


def test_a_product_starts_once_the_prerequisite_is_active() -> None:
    member = MemberFacts(MEMBER.member_id, active_products=frozenset({"MEMBER"}))
    started = _start(member, product="MAGAZINE", today=date(2024, 11, 3))
    assert started.state.from_date == date(2025, 1, 1)  # period-start rule Oct-Dec → January


def test_without_a_start_rule_staff_must_enter_the_from_date() -> None:
    member = MemberFacts(MEMBER.member_id, active_products=frozenset({"MEMBER"}))
    with pytest.raises(FromDateRequired):
        _start(member, product="MAGAZINE", today=date(2024, 5, 3))


def test_a_time_limited_subscription_needs_a_stop_reason() -> None:
    with pytest.raises(StopReasonRequired):
        _start(to_date=date(2024, 12, 31))
    limited = _start(to_date=date(2024, 12, 31), stop_reason="STOP")
    assert limited.state.stop_reason == "STOP"
    assert status_on(limited.state, date(2025, 1, 1)) is SubscriptionStatus.STOPPED


def test_a_to_date_before_the_from_date_is_impossible() -> None:
    with pytest.raises(ImpossibleDates):
        _start(from_date=date(2024, 9, 1), to_date=date(2024, 8, 31), stop_reason="STOP")


def test_a_negative_quantity_is_refused() -> None:
    with pytest.raises(InvalidQuantity):
        _start(billed_qty=-1)


def test_an_unknown_price_code_or_start_reason_is_refused() -> None:
    with pytest.raises(UnknownPriceCode):
        _start(price_code="NOPE")
    with pytest.raises(MissingReasonCode):
        _start(reason="STOP")


def test_a_started_subscription_is_new_before_its_from_date_and_active_from_it() -> None:
    state = _start(from_date=date(2024, 9, 1)).state
    assert status_on(state, date(2024, 8, 31)) is SubscriptionStatus.NEW
    assert status_on(state, date(2024, 9, 1)) is SubscriptionStatus.ACTIVE
    assert price_code_on(state, date(2024, 9, 1)) == "ORD"
