"""Stopping a subscription (SPEC §2.2 rule 8, §5 rows 10 and 12, §6.3 item 4)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.billing.domain.catalogue import (
    STANDARD_REASON_CODES,
    Catalogue,
    PriceCode,
    Product,
    ReasonAction,
    ReasonCode,
)
from federa.billing.domain.errors import ImpossibleDates, MissingReasonCode, SubscriptionNotActive
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import (
    default_stop_date,
    record_charge,
    start_subscription,
    stop_subscription,
)
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import Period
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.subscription import (
    LifecycleKind,
    SubscriptionState,
    SubscriptionStatus,
    status_on,
)
from federa.billing.domain.terms import YEAR

ARREARS = ReasonCode(
    "ARREARS",
    ReasonAction.STOP,
    "Arrears stop",
    credit_on_stop=True,
    stop_related=True,
    new_member_status="passive",
)
CATALOGUE = Catalogue.of(
    products=[
        Product("MEMBER", "Membership", default_price_code="ORD", related_stops=("MAGAZINE",)),
        Product("MAGAZINE", "Magazine"),
    ],
    price_codes=[
        PriceCode(
            "MEMBER", "ORD", "Ordinary", YEAR, YEAR, prices=(DatedPrice(date(2024, 1, 1), 45000),)
        )
    ],
    reason_codes=[*STANDARD_REASON_CODES, ARREARS],
)
TODAY = date(2024, 10, 1)


def _subscription(*, billed_through_2024: bool = True) -> SubscriptionState:
    state = start_subscription(
        CATALOGUE,
        MemberFacts(MemberId(uuid.uuid4())),
        subscription_no=7,
        payer=PayerId(uuid.uuid4()),
        today=date(2024, 1, 1),
        product="MEMBER",
    ).state
    if billed_through_2024:
        state = record_charge(state, Period(date(2024, 1, 1), date(2024, 12, 31)), free=False)
    return state


def test_the_default_stop_date_is_the_day_after_the_last_billed_period() -> None:
    # SPEC §5 row 10: billed through 2024-12-31 → proposed stop 2025-01-01.
    assert default_stop_date(_subscription()) == date(2025, 1, 1)


def test_a_never_billed_subscription_stops_by_default_on_its_start() -> None:
    assert default_stop_date(_subscription(billed_through_2024=False)) == date(2024, 1, 1)


def test_the_stop_date_is_the_first_day_without_coverage() -> None:
    # SPEC §6.3 item 4, our decision: the to-date (last covered day) is the day before.
    stopped = stop_subscription(_subscription(), CATALOGUE, today=TODAY)
    assert stopped.state.to_date == date(2024, 12, 31)
    assert status_on(stopped.state, date(2024, 12, 31)) is SubscriptionStatus.ACTIVE
    assert status_on(stopped.state, date(2025, 1, 1)) is SubscriptionStatus.STOPPED


def test_a_stop_writes_a_possibly_future_dated_stop_entry() -> None:
    stopped = stop_subscription(_subscription(), CATALOGUE, today=TODAY)
    (entry,) = stopped.entries
    assert (entry.kind, entry.reason_code, entry.effective, entry.recorded_on) == (
        LifecycleKind.STOP,
        "STOP",
        date(2025, 1, 1),
        TODAY,
    )
    assert stopped.state.stop_reason == "STOP"


def test_stopping_inside_the_billed_period_leaves_the_rest_for_a_credit() -> None:
    # SPEC §5 row 12 (illustrative): billed through 31.12, stop date 01.07 → credit for
    # 01.07-31.12 (the run's to-date adjustment, rule 29).
    stopped = stop_subscription(_subscription(), CATALOGUE, today=TODAY, stop_date=date(2024, 7, 1))
    assert stopped.billed_after_stop == Period(date(2024, 7, 1), date(2024, 12, 31))
    assert stopped.credit_period is None


def test_a_stop_with_credit_credits_the_latest_billed_period() -> None:
    stopped = stop_subscription(
        _subscription(), CATALOGUE, today=TODAY, stop_date=date(2024, 7, 1), credit=True
    )
    assert stopped.credit_period == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert stopped.billed_after_stop is None


def test_the_stop_reason_proposes_credit_related_stops_and_a_member_status() -> None:
    stopped = stop_subscription(_subscription(), CATALOGUE, today=TODAY, reason="ARREARS")
    assert stopped.credit_period == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert stopped.related_products == ("MAGAZINE",)
    assert stopped.member_status_to_set == "passive"


def test_the_caller_may_decline_what_the_reason_proposes() -> None:
    stopped = stop_subscription(
        _subscription(), CATALOGUE, today=TODAY, reason="ARREARS", credit=False, stop_related=False
    )
    assert (stopped.credit_period, stopped.related_products) == (None, ())


def test_a_stop_before_the_start_is_impossible() -> None:
    with pytest.raises(ImpossibleDates):
        stop_subscription(_subscription(), CATALOGUE, today=TODAY, stop_date=date(2023, 12, 31))


def test_a_stopped_subscription_cannot_be_stopped_again() -> None:
    stopped = stop_subscription(_subscription(), CATALOGUE, today=TODAY, stop_date=date(2024, 7, 1))
    with pytest.raises(SubscriptionNotActive):
        stop_subscription(stopped.state, CATALOGUE, today=TODAY)


def test_a_stop_reason_must_be_a_stop_reason() -> None:
    with pytest.raises(MissingReasonCode):
        stop_subscription(_subscription(), CATALOGUE, today=TODAY, reason="START")
