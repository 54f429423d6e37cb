"""Restart, delete, recording charges and recalculating the start on payment (SPEC §2.2 rules
12, 13, 23, 24)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.errors import (
    CannotDelete,
    ChargeOutOfSequence,
    ImpossibleDates,
    SubscriptionNotStopped,
)
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import (
    ensure_deletable,
    propose_restart,
    recalculate_start_on_payment,
    record_charge,
    restart_subscription,
    start_subscription,
    stop_subscription,
    takes_effect_later,
)
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import Period
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.subscription import (
    BillingStatus,
    LifecycleKind,
    SubscriptionState,
    SubscriptionStatus,
    is_due,
    next_unbilled_date,
    price_code_on,
    status_on,
)
from federa.billing.domain.terms import YEAR

PRICES = (DatedPrice(date(2024, 1, 1), 45000),)
CATALOGUE = Catalogue.of(
    products=[Product("MEMBER", "Membership", default_price_code="ORD")],
    price_codes=[
        PriceCode("MEMBER", "ORD", "Ordinary", YEAR, YEAR, prices=PRICES),
        PriceCode("MEMBER", "PENS", "Pensioner", YEAR, YEAR, prices=PRICES),
        PriceCode(
            "MEMBER",
            "ORDER",
            "Pay to start",
            YEAR,
            YEAR,
            prices=PRICES,
            recalculate_start_on_payment=True,
        ),
    ],
)
YEAR_2024 = Period(date(2024, 1, 1), date(2024, 12, 31))


def _started(price_code: str = "ORD", from_date: date = date(2024, 1, 1)) -> SubscriptionState:
    return start_subscription(
        CATALOGUE,
        MemberFacts(MemberId(uuid.uuid4())),
        subscription_no=9,
        payer=PayerId(uuid.uuid4()),
        today=date(2024, 1, 1),
        product="MEMBER",
        price_code=price_code,
        from_date=from_date,
    ).state


def test_restart_proposes_the_price_code_and_date_of_the_stop() -> None:
    stopped = stop_subscription(
        record_charge(_started(), YEAR_2024, free=False), CATALOGUE, today=date(2024, 10, 1)
    ).state
    assert propose_restart(stopped) == ("ORD", date(2025, 1, 1))


def test_a_restart_writes_a_start_entry_and_billing_resumes_on_its_date() -> None:
    stopped = stop_subscription(
        record_charge(_started(), YEAR_2024, free=False), CATALOGUE, today=date(2024, 10, 1)
    ).state
    restarted = restart_subscription(
        stopped, CATALOGUE, today=date(2025, 3, 1), from_date=date(2025, 3, 1), price_code="PENS"
    )
    (entry,) = restarted.entries
    assert (entry.kind, entry.effective, entry.new_value) == (
        LifecycleKind.START,
        date(2025, 3, 1),
        "PENS",
    )
    state = restarted.state
    assert (state.to_date, state.stop_reason, state.price_code) == (None, None, "PENS")
    assert next_unbilled_date(state) == date(2025, 3, 1)
    assert status_on(state, date(2025, 2, 1)) is SubscriptionStatus.STOPPED
    assert status_on(state, date(2025, 3, 1)) is SubscriptionStatus.ACTIVE
    assert price_code_on(state, date(2024, 6, 1)) == "ORD"


def test_a_restart_cannot_begin_before_the_stop() -> None:
    stopped = stop_subscription(
        record_charge(_started(), YEAR_2024, free=False), CATALOGUE, today=date(2024, 10, 1)
    ).state
    with pytest.raises(ImpossibleDates):
        restart_subscription(
            stopped, CATALOGUE, today=date(2025, 2, 1), from_date=date(2024, 12, 1)
        )


def test_only_a_stopped_subscription_restarts() -> None:
    with pytest.raises(SubscriptionNotStopped):
        restart_subscription(_started(), CATALOGUE, today=date(2024, 10, 1))


def test_a_stop_that_has_not_taken_effect_cannot_be_restarted() -> None:
    scheduled = stop_subscription(
        record_charge(_started(), YEAR_2024, free=False), CATALOGUE, today=date(2024, 10, 1)
    )
    assert takes_effect_later(scheduled, today=date(2024, 10, 1))
    assert not takes_effect_later(scheduled, today=date(2025, 1, 1))
    with pytest.raises(SubscriptionNotStopped, match="stops on 2025-01-01, not yet"):
        restart_subscription(scheduled.state, CATALOGUE, today=date(2024, 12, 31))
    restarted = restart_subscription(scheduled.state, CATALOGUE, today=date(2025, 1, 1))
    assert status_on(restarted.state, date(2025, 1, 1)) is SubscriptionStatus.ACTIVE


def test_a_charged_subscription_can_never_be_deleted() -> None:
    charged = stop_subscription(
        record_charge(_started(), YEAR_2024, free=False), CATALOGUE, today=date(2025, 2, 1)
    ).state
    with pytest.raises(CannotDelete, match="has been charged"):
        ensure_deletable(charged, today=date(2025, 2, 1))


def test_an_active_subscription_must_be_stopped_before_it_is_deleted() -> None:
    with pytest.raises(CannotDelete, match="active"):
        ensure_deletable(_started(), today=date(2024, 6, 1))


def test_a_never_charged_subscription_that_is_not_active_can_be_deleted() -> None:
    ensure_deletable(_started(from_date=date(2024, 9, 1)), today=date(2024, 6, 1))  # new
    stopped = stop_subscription(_started(), CATALOGUE, today=date(2024, 6, 1)).state
    ensure_deletable(stopped, today=date(2024, 6, 1))


def test_a_charge_must_start_on_the_next_unbilled_date() -> None:
    charged = record_charge(_started(), YEAR_2024, free=False)
    assert (charged.billed_from, charged.billed_through) == (date(2024, 1, 1), date(2024, 12, 31))
    assert charged.billing_status is BillingStatus.CHARGED
    with pytest.raises(ChargeOutOfSequence, match="starts 2025-01-01"):
        record_charge(charged, YEAR_2024, free=False)


def test_a_free_charge_marks_the_billing_status_free() -> None:
    assert record_charge(_started(), YEAR_2024, free=True).billing_status is BillingStatus.FREE


# SPEC §5 row 9: "member 2 billed through 31.05: the bill-through date must be after 31.05,
# i.e. from 01.06"; "a new member with from-date 1.5 is included".
def test_a_run_through_the_billed_through_date_does_not_select_the_subscription() -> None:
    member_2 = record_charge(
        _started(from_date=date(2024, 6, 1)),
        Period(date(2024, 6, 1), date(2025, 5, 31)),
        free=False,
    )
    assert not is_due(member_2, date(2025, 5, 31))
    assert is_due(member_2, date(2025, 6, 1))


def test_a_new_subscription_is_selected_once_the_bill_through_date_reaches_its_start() -> None:
    new_member = _started(from_date=date(2025, 5, 1))
    assert not is_due(new_member, date(2025, 4, 30))
    assert is_due(new_member, date(2025, 5, 1))


def test_the_first_payment_can_become_the_start_date() -> None:
    state = record_charge(_started("ORDER"), YEAR_2024, free=False)
    paid = recalculate_start_on_payment(state, CATALOGUE, paid_on=date(2024, 2, 10))
    assert paid.from_date == date(2024, 2, 10)
    assert (paid.billed_from, paid.billed_through) == (date(2024, 1, 1), date(2024, 12, 31))
    ordinary = record_charge(_started("ORD"), YEAR_2024, free=False)
    assert recalculate_start_on_payment(ordinary, CATALOGUE, paid_on=date(2024, 2, 10)) == ordinary
