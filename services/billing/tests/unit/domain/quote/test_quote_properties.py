"""Property tests over quotes and charges: periods tile, prices come from the period's start,
amounts are never negative, a running year is its share of the yearly price."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from federa.billing.domain.calculations import (
    FixedPrice,
    PayrollBand,
    PayrollTable,
    PayrollTiers,
    PriceCalculation,
    ValueBand,
    ValueBands,
)
from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import record_charge, start_subscription
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import Period
from federa.billing.domain.prices import DatedPrice, price_on, pro_rata_of_year
from federa.billing.domain.product_periods import generate_periods
from federa.billing.domain.quote import Quote, quote
from federa.billing.domain.subscription import SubscriptionState, next_unbilled_date
from federa.billing.domain.terms import MONTH, QUARTER, RUNNING_YEAR, YEAR, BillingTerm

PERIODS = generate_periods(date(2000, 1, 1), 60, YEAR)
EARLIEST_PRICE = date(2000, 1, 1)

start_dates = st.dates(date(2001, 1, 1), date(2040, 12, 31))
yearly_terms = st.sampled_from([YEAR, RUNNING_YEAR])
fixed_terms = st.sampled_from([YEAR, QUARTER, MONTH, BillingTerm(months=15), BillingTerm(days=10)])
price_schedules = st.lists(
    st.tuples(st.dates(date(2000, 1, 2), date(2045, 12, 31)), st.integers(0, 10**7)),
    max_size=6,
    unique_by=lambda pair: pair[0],
).map(
    lambda pairs: (
        DatedPrice(EARLIEST_PRICE, 10000),
        *(DatedPrice(day, amount) for day, amount in pairs),
    )
)
discounts = st.decimals(min_value=0, max_value=100, places=2)
calculations: st.SearchStrategy[PriceCalculation] = st.one_of(
    st.just(FixedPrice()),
    st.builds(
        ValueBands,
        unit_value_price=st.decimals(min_value=0, max_value=1000, places=3),
        bands=st.just((ValueBand(Decimal(10), 3000), ValueBand(None, 2000))),
    ),
    st.just(
        PayrollTiers(
            (
                PayrollTable(
                    EARLIEST_PRICE,
                    (
                        PayrollBand(0, 1000, Decimal(0), min_dues=500),
                        PayrollBand(1001, None, Decimal("0.37")),
                    ),
                ),
            )
        )
    ),
)


def _catalogue(price_code: PriceCode) -> Catalogue:
    return Catalogue.of(
        products=[Product("MEMBER", "Membership", periods=PERIODS)], price_codes=[price_code]
    )


def _start(catalogue: Catalogue, from_date: date, billed_qty: int = 1) -> SubscriptionState:
    return start_subscription(
        catalogue,
        MemberFacts(MemberId(uuid.uuid4())),
        subscription_no=1,
        payer=PayerId(uuid.uuid4()),
        today=from_date,
        product="MEMBER",
        price_code="P",
        from_date=from_date,
        billed_qty=billed_qty,
    ).state


def _next(state: SubscriptionState, catalogue: Catalogue, member: MemberFacts) -> Quote:
    return quote(state, catalogue, member, bill_through=next_unbilled_date(state))


@settings(max_examples=60)
@given(start_dates, st.one_of(yearly_terms, fixed_terms), fixed_terms)
def test_charge_after_charge_the_billed_periods_tile_time(
    start: date, first: BillingTerm, subsequent: BillingTerm
) -> None:
    if first.running_year:
        subsequent = YEAR
    price_code = PriceCode(
        "MEMBER", "P", "P", first, subsequent, prices=(DatedPrice(EARLIEST_PRICE, 100),)
    )
    catalogue = _catalogue(price_code)
    member = MemberFacts(MemberId(uuid.uuid4()))
    state = _start(catalogue, start)
    expected_start = start
    for _ in range(6):
        charge = _next(state, catalogue, member)
        assert charge.period is not None
        assert charge.period.start == expected_start
        state = record_charge(state, charge.period, free=False)
        expected_start = charge.period.end + timedelta(days=1)


@settings(max_examples=60)
@given(price_schedules, start_dates, st.integers(0, 5), st.integers(0, 3))
def test_a_period_uses_the_price_valid_on_its_start_date(
    prices: tuple[DatedPrice, ...], start: date, charges_before: int, quantity: int
) -> None:
    catalogue = _catalogue(PriceCode("MEMBER", "P", "P", QUARTER, QUARTER, prices=prices))
    member = MemberFacts(MemberId(uuid.uuid4()))
    state = _start(catalogue, start, billed_qty=quantity)
    for _ in range(charges_before):
        period = _next(state, catalogue, member).period
        assert period is not None
        state = record_charge(state, period, free=False)
    charge = _next(state, catalogue, member)
    assert charge.period is not None
    (line,) = charge.lines
    valid = price_on(prices, charge.period.start)
    assert line.unit_price == valid.amount
    assert line.amount == valid.amount * quantity
    assert f"valid from {valid.from_date}" in line.rule


@settings(max_examples=80)
@given(
    calculations,
    price_schedules,
    st.one_of(yearly_terms, st.just(YEAR)),
    discounts,
    start_dates,
    st.integers(0, 5),
    st.integers(0, 10**7),
    st.integers(0, 10**6),
)
def test_quoted_amounts_are_never_negative(
    calculation: PriceCalculation,
    prices: tuple[DatedPrice, ...],
    first: BillingTerm,
    discount: Decimal,
    start: date,
    quantity: int,
    value_units: int,
    gift: int,
) -> None:
    price_code = PriceCode(
        "MEMBER",
        "P",
        "P",
        first,
        YEAR,
        prices=prices,
        calculation=calculation,
        first_period_discount_pct=discount,
    )
    catalogue = _catalogue(price_code)
    member = MemberFacts(MemberId(uuid.uuid4()), value_units=value_units, gift_amount=gift)
    state = _start(catalogue, start, billed_qty=quantity)
    charge = _next(state, catalogue, member)
    assert all(line.amount >= 0 for line in charge.lines)
    assert charge.total >= 0


@given(st.integers(0, 10**8), start_dates)
def test_a_running_first_year_and_the_days_before_it_add_up_to_the_yearly_price(
    yearly: int, start: date
) -> None:
    catalogue = _catalogue(
        PriceCode(
            "MEMBER", "P", "P", RUNNING_YEAR, YEAR, prices=(DatedPrice(EARLIEST_PRICE, yearly),)
        )
    )
    charge = _next(_start(catalogue, start), catalogue, MemberFacts(MemberId(uuid.uuid4())))
    assert charge.period == Period(start, date(start.year, 12, 31))
    before = (
        0
        if start.timetuple().tm_yday == 1
        else pro_rata_of_year(yearly, Period(date(start.year, 1, 1), start - timedelta(days=1)))
    )
    assert charge.total + before == yearly
