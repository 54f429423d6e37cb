"""Price-code change, payer change and moves (SPEC §2.2 rules 9-11, §5 rows 5 and 11)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.errors import (
    ImpossibleDates,
    NothingToChange,
    PriceChangeInsideBilledPeriod,
    SubscriptionNotActive,
)
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import (
    change_payer,
    change_price_code,
    move_delivery,
    record_charge,
    start_subscription,
    stop_subscription,
)
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import billing_period
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.subscription import (
    CollectionChannel,
    LifecycleKind,
    SubscriptionState,
    delivery_address_on,
    payer_on,
    price_code_on,
)
from federa.billing.domain.terms import HALF_YEAR, YEAR

PRICES = (DatedPrice(date(2024, 1, 1), 45000),)
# SPEC §5 row 5: "Halvår → Helår", "Almindelig → Pensionist", "studerende → almindelig".
CATALOGUE = Catalogue.of(
    products=[Product("MEMBER", "Membership", default_price_code="ORD")],
    price_codes=[
        PriceCode("MEMBER", code, name, term, term, prices=PRICES)
        for code, name, term in [
            ("ORD", "Almindelig", YEAR),
            ("PENS", "Pensionist", YEAR),
            ("STUD", "Studerende", YEAR),
            ("HALF", "Halvår", HALF_YEAR),
            ("FULL", "Helår", YEAR),
        ]
    ],
)
OLD_PAYER = PayerId(uuid.uuid4())
NEW_PAYER = PayerId(uuid.uuid4())
TODAY = date(2024, 10, 1)


def _first_period_billed(price_code: str = "ORD") -> SubscriptionState:
    state = start_subscription(
        CATALOGUE,
        MemberFacts(MemberId(uuid.uuid4())),
        subscription_no=3,
        payer=OLD_PAYER,
        today=date(2024, 1, 1),
        product="MEMBER",
        price_code=price_code,
        delivery_address_no=1,
    ).state
    first_term = CATALOGUE.price_code("MEMBER", price_code).first_term
    return record_charge(state, billing_period(date(2024, 1, 1), first_term), free=False)


@pytest.mark.parametrize(("old", "new"), [("HALF", "FULL"), ("ORD", "PENS"), ("STUD", "ORD")])
def test_a_price_code_change_takes_effect_from_the_next_billing_period(old: str, new: str) -> None:
    # SPEC §5 row 5.
    state = _first_period_billed(old)
    changed = change_price_code(state, CATALOGUE, new_price_code=new, today=TODAY)
    first_unbilled = date(2024, 7, 1) if old == "HALF" else date(2025, 1, 1)
    assert [(e.reason_code, e.effective, e.old_value, e.new_value) for e in changed.entries] == [
        ("PRIS-", first_unbilled, old, new),
        ("PRIS+", first_unbilled, old, new),
    ]
    assert price_code_on(changed.state, first_unbilled) == new


def test_a_price_code_change_inside_a_billed_period_is_rejected() -> None:
    # SPEC §5 row 5 / rule 9: "never a date inside an already billed period".
    with pytest.raises(
        PriceChangeInsideBilledPeriod, match="earliest price-code change is 2025-01-01"
    ):
        change_price_code(
            _first_period_billed(),
            CATALOGUE,
            new_price_code="PENS",
            today=TODAY,
            from_date=date(2024, 12, 31),
        )


def test_a_price_code_change_may_be_later_than_the_next_period() -> None:
    changed = change_price_code(
        _first_period_billed(),
        CATALOGUE,
        new_price_code="PENS",
        today=TODAY,
        from_date=date(2025, 7, 1),
    )
    assert price_code_on(changed.state, date(2025, 6, 30)) == "ORD"
    assert price_code_on(changed.state, date(2025, 7, 1)) == "PENS"


def test_a_future_price_code_change_is_only_visible_in_the_lifecycle() -> None:
    changed = change_price_code(
        _first_period_billed(), CATALOGUE, new_price_code="PENS", today=TODAY
    )
    assert changed.state.price_code == "ORD"
    effective_now = change_price_code(
        changed.state,
        CATALOGUE,
        new_price_code="STUD",
        today=date(2025, 1, 2),
        from_date=date(2025, 1, 2),
    )
    assert effective_now.state.price_code == "STUD"


def test_a_price_code_change_can_set_the_collection_channel() -> None:
    changed = change_price_code(
        _first_period_billed(),
        CATALOGUE,
        new_price_code="PENS",
        today=TODAY,
        collection_channel=CollectionChannel.EXTERNAL,
    )
    assert changed.state.collection_channel is CollectionChannel.EXTERNAL


def test_changing_to_the_same_price_code_is_refused() -> None:
    with pytest.raises(NothingToChange):
        change_price_code(_first_period_billed(), CATALOGUE, new_price_code="ORD", today=TODAY)


def test_a_payer_change_always_starts_the_day_after_the_latest_invoiced_period() -> None:
    # SPEC §5 row 11: "cannot choose another date" - the command has no date at all.
    changed = change_payer(_first_period_billed(), CATALOGUE, new_payer=NEW_PAYER, today=TODAY)
    assert [(e.reason_code, e.effective) for e in changed.entries] == [
        ("DEB-", date(2025, 1, 1)),
        ("DEB+", date(2025, 1, 1)),
    ]
    assert payer_on(changed.state, date(2024, 12, 31)) == OLD_PAYER
    assert payer_on(changed.state, date(2025, 1, 1)) == NEW_PAYER
    assert changed.state.payer == OLD_PAYER  # future: visible in the lifecycle only


def test_a_stopped_subscription_cannot_change() -> None:
    stopped = stop_subscription(
        _first_period_billed(), CATALOGUE, today=TODAY, stop_date=date(2024, 9, 1)
    )
    with pytest.raises(SubscriptionNotActive):
        change_payer(stopped.state, CATALOGUE, new_payer=NEW_PAYER, today=TODAY)
    with pytest.raises(SubscriptionNotActive):
        change_price_code(stopped.state, CATALOGUE, new_price_code="PENS", today=TODAY)


def test_a_permanent_move_writes_move_out_and_move_in() -> None:
    moved = move_delivery(
        _first_period_billed(),
        CATALOGUE,
        new_address_no=2,
        from_date=date(2024, 11, 1),
        today=TODAY,
    )
    assert [(e.kind, e.reason_code, e.effective) for e in moved.entries] == [
        (LifecycleKind.MOVE, "FLYT-", date(2024, 11, 1)),
        (LifecycleKind.MOVE, "FLYT+", date(2024, 11, 1)),
    ]
    assert delivery_address_on(moved.state, date(2024, 10, 31)) == 1
    assert delivery_address_on(moved.state, date(2030, 1, 1)) == 2


def test_a_temporary_move_returns_by_itself_after_its_to_date() -> None:
    moved = move_delivery(
        _first_period_billed(),
        CATALOGUE,
        new_address_no=5,
        from_date=date(2024, 6, 1),
        to_date=date(2024, 8, 31),
        today=date(2024, 7, 15),
    )
    assert [(e.reason_code, e.effective, e.old_value, e.new_value) for e in moved.entries] == [
        ("FLYT-", date(2024, 6, 1), "1", "5"),
        ("FLYT+", date(2024, 6, 1), "1", "5"),
        ("FLYT-", date(2024, 9, 1), "5", "1"),
        ("FLYT+", date(2024, 9, 1), "5", "1"),
    ]
    assert moved.state.delivery_address_no == 5  # on 'today', 15 July
    assert delivery_address_on(moved.state, date(2024, 8, 31)) == 5
    assert delivery_address_on(moved.state, date(2024, 9, 1)) == 1


def test_a_temporary_move_cannot_end_before_it_starts() -> None:
    with pytest.raises(ImpossibleDates):
        move_delivery(
            _first_period_billed(),
            CATALOGUE,
            new_address_no=5,
            from_date=date(2024, 6, 1),
            to_date=date(2024, 5, 31),
            today=TODAY,
        )
