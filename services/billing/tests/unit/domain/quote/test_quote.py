"""Quote: the next charge's exact lines, each with the rule behind its amount."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from federa.billing.domain.age_bands import AgeBand
from federa.billing.domain.branch_shares import BranchShare
from federa.billing.domain.calculations import (
    PayrollBand,
    PayrollTable,
    PayrollTiers,
    ValueBand,
    ValueBands,
)
from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.errors import (
    MissingBirthDate,
    MissingMinimumDuesLine,
    MissingProductPeriods,
    MissingValueUnits,
    ValueBandsNotEnabled,
)
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.lifecycle import (
    change_price_code,
    record_charge,
    restart_subscription,
    start_subscription,
    stop_subscription,
)
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import Period
from federa.billing.domain.postage import PostagePrice
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.product_periods import generate_periods
from federa.billing.domain.quote import LineKind, Quote, quote
from federa.billing.domain.subscription import SubscriptionState
from federa.billing.domain.terms import QUARTER, RUNNING_YEAR, YEAR

AARHUS = OrganisationId(uuid.uuid4())
PERIODS = generate_periods(date(2024, 1, 1), 10, YEAR)
ORD_PRICES = (DatedPrice(date(2024, 1, 1), 45000), DatedPrice(date(2026, 1, 1), 48000))
CATALOGUE = Catalogue.of(
    products=[
        Product("MEMBER", "Membership", default_price_code="ORD", periods=PERIODS),
        Product(
            "MAGAZINE",
            "Magazine",
            default_price_code="STD",
            periods=PERIODS,
            charges_postage=True,
            collects_gift=True,
        ),
        Product("NOPERIODS", "No calendar", default_price_code="STD"),
    ],
    price_codes=[
        PriceCode(
            "MEMBER",
            "ORD",
            "Ordinary",
            RUNNING_YEAR,
            YEAR,
            external_description="Membership",
            prices=ORD_PRICES,
            first_period_discount_pct=Decimal(50),
        ),
        PriceCode(
            "MEMBER", "YOUTH", "Youth", YEAR, YEAR, prices=(DatedPrice(date(2024, 1, 1), 15000),)
        ),
        PriceCode(
            "MEMBER",
            "AGE",
            "By age",
            YEAR,
            YEAR,
            age_bands=(AgeBand(17, "YOUTH"), AgeBand(None, "ORD")),
        ),
        PriceCode("MEMBER", "HONOUR", "Honorary", YEAR, YEAR, free=True),
        PriceCode(
            "MEMBER",
            "VALUE",
            "Company",
            YEAR,
            YEAR,
            calculation=ValueBands(
                Decimal(1), (ValueBand(Decimal(10), 3000), ValueBand(None, 2000))
            ),
        ),
        PriceCode(
            "MEMBER",
            "PAYROLL",
            "Employer",
            YEAR,
            YEAR,
            calculation=PayrollTiers(
                (
                    PayrollTable(
                        date(2024, 1, 1),
                        (
                            PayrollBand(0, 200000, Decimal(0), min_dues=50000),
                            PayrollBand(200001, None, Decimal("0.5")),
                        ),
                    ),
                )
            ),
        ),
        PriceCode(
            "MEMBER",
            "NOZERO",
            "Broken payroll",
            YEAR,
            YEAR,
            calculation=PayrollTiers(
                (PayrollTable(date(2024, 1, 1), (PayrollBand(0, None, Decimal("0.5")),)),)
            ),
        ),
        PriceCode(
            "MAGAZINE",
            "STD",
            "Magazine",
            QUARTER,
            QUARTER,
            prices=(DatedPrice(date(2024, 1, 1), 9900),),
        ),
        PriceCode(
            "MAGAZINE",
            "RUN",
            "Magazine, rest of year",
            RUNNING_YEAR,
            YEAR,
            prices=(DatedPrice(date(2024, 1, 1), 36500),),
            first_period_discount_pct=Decimal(10),
        ),
        PriceCode("NOPERIODS", "STD", "x", YEAR, YEAR, prices=(DatedPrice(date(2024, 1, 1), 100),)),
    ],
    postage=[PostagePrice("SE", None, date(2024, 1, 1), "Porto Sverige", 2500)],
    branch_shares=[BranchShare("MEMBER", AARHUS, "Aarhus", 5000)],
)
MEMBER = MemberFacts(
    MemberId(uuid.uuid4()),
    birth_date=date(2010, 6, 15),
    country_code="SE",
    gift_amount=10000,
    active_products=frozenset({"MEMBER"}),
)


def _subscription(
    price_code: str = "ORD",
    *,
    product: str = "MEMBER",
    from_date: date = date(2025, 6, 1),
    billed: Period | None = None,
) -> SubscriptionState:
    state = start_subscription(
        CATALOGUE,
        MEMBER,
        subscription_no=11,
        payer=PayerId(uuid.uuid4()),
        today=from_date,
        product=product,
        price_code=price_code,
        from_date=from_date,
        organisation=AARHUS,
    ).state
    return state if billed is None else record_charge(state, billed, free=False)


def _quote(state: SubscriptionState, member: MemberFacts = MEMBER, **options: bool) -> Quote:
    return quote(state, CATALOGUE, member, bill_through=date(2025, 12, 31), **options)


def test_a_first_running_year_is_pro_rata_and_discounted_with_its_rules_spelled_out() -> None:
    result = _quote(_subscription())
    assert result.period == Period(date(2025, 6, 1), date(2025, 12, 31))
    assert result.first_charge
    (line,) = result.lines
    # 450.00 x 214/365 = 263.84; half of it is 131.92.
    assert (line.description, line.amount) == ("Membership", 13192)
    assert line.rule == (
        "price 450.00 valid from 2024-01-01 (price code ORD); "
        "pro rata 214/365 of the yearly 450.00 → 263.84; first-period discount 50% → 131.92"
    )
    assert result.explanation == (
        "first charge 2025-06-01 to 2025-12-31: first term running year (to 31 December) of "
        "price code ORD"
    )


def test_the_next_charge_uses_the_subsequent_term_without_discount_at_the_new_price() -> None:
    state = _subscription(billed=Period(date(2025, 6, 1), date(2025, 12, 31)))
    result = quote(state, CATALOGUE, MEMBER, bill_through=date(2026, 1, 1))
    assert result.period == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert not result.first_charge
    assert [line.amount for line in result.lines] == [48000]
    assert result.lines[0].rule == "price 480.00 valid from 2026-01-01 (price code ORD)"


def test_the_branch_share_of_the_product_is_quoted_for_the_subscriptions_organisation() -> None:
    (settlement,) = _quote(_subscription()).settlements
    assert (settlement.organisation, settlement.amount) == (AARHUS, 5000)
    assert settlement.rule == "branch share 50.00 of MEMBER for Aarhus (rule 34)"


def test_a_member_moves_from_youth_to_ordinary_without_touching_the_subscription() -> None:
    state = _subscription("AGE", from_date=date(2027, 1, 1))
    youth = quote(state, CATALOGUE, MEMBER, bill_through=date(2027, 1, 1))
    assert youth.lines[0].rule.startswith("age 16 on 2027-01-01 → band up to 17: price code YOUTH")
    assert youth.lines[0].amount == 15000
    charged = record_charge(state, Period(date(2027, 1, 1), date(2028, 12, 31)), free=False)
    ordinary = quote(charged, CATALOGUE, MEMBER, bill_through=date(2029, 1, 1))
    assert ordinary.lines[0].rule.startswith(
        "age 18 on 2029-01-01 → band no upper age: price code ORD"
    )
    assert (ordinary.lines[0].price_code, ordinary.lines[0].amount) == ("ORD", 48000)


def test_an_age_banded_price_needs_the_members_birth_date() -> None:
    with pytest.raises(MissingBirthDate):
        _quote(_subscription("AGE"), MemberFacts(MEMBER.member_id))


def test_a_free_price_code_produces_no_charge() -> None:
    result = _quote(_subscription("HONOUR"))
    assert result.free
    assert result.lines == ()
    assert result.total == 0
    assert result.explanation.endswith("price code HONOUR is free: no charge")


def test_a_value_band_price_needs_the_runs_value_band_flag() -> None:
    member = MemberFacts(MEMBER.member_id, value_units=7)
    assert _quote(_subscription("VALUE"), member).total == 21000
    with pytest.raises(ValueBandsNotEnabled):
        _quote(_subscription("VALUE"), member, use_value_bands=False)
    with pytest.raises(MissingValueUnits):
        _quote(_subscription("VALUE"))


def test_payroll_pricing_quotes_the_minimum_dues_line_when_it_applies() -> None:
    member = MemberFacts(MEMBER.member_id, value_units=250000)
    (line,) = _quote(_subscription("PAYROLL"), member).lines
    assert line.amount == 50000
    assert line.rule.endswith("minimum dues 500.00 applied")
    with pytest.raises(MissingMinimumDuesLine):
        _quote(_subscription("NOZERO"), member)


def test_postage_and_the_standing_gift_are_lines_of_their_own() -> None:
    result = _quote(_subscription("STD", product="MAGAZINE"))
    assert [(line.kind, line.amount) for line in result.lines] == [
        (LineKind.PRODUCT, 9900),
        (LineKind.POSTAGE, 2500),
        (LineKind.GIFT, 10000),
    ]
    assert result.lines[1].rule == "postage 25.00 to SE valid from 2024-01-01 x 1 delivered"
    assert result.total == 22400


def test_a_country_without_postage_gets_no_postage_line_and_a_note() -> None:
    danish = MemberFacts(MEMBER.member_id, country_code="DK")
    result = _quote(_subscription("STD", product="MAGAZINE"), danish)
    assert [line.kind for line in result.lines] == [LineKind.PRODUCT]
    assert result.notes == ("no postage price for DK on 2025-06-01",)


def test_a_subscription_not_yet_due_quotes_nothing_and_says_why() -> None:
    result = _quote(_subscription(from_date=date(2026, 2, 1)))
    assert (result.period, result.lines) == (None, ())
    assert result.explanation == (
        "nothing due: next unbilled day 2026-02-01 is after the bill-through date 2025-12-31"
    )


def test_billing_refuses_to_run_without_product_periods_a_year_beyond() -> None:
    with pytest.raises(MissingProductPeriods, match="through 2026-12-31"):
        _quote(_subscription("STD", product="NOPERIODS"))


def test_a_price_code_change_prices_the_periods_starting_from_it() -> None:
    state = _subscription(billed=Period(date(2025, 6, 1), date(2025, 12, 31)))
    changed = change_price_code(state, CATALOGUE, new_price_code="YOUTH", today=date(2025, 10, 1))
    result = quote(changed.state, CATALOGUE, MEMBER, bill_through=date(2026, 1, 1))
    assert (result.lines[0].price_code, result.lines[0].amount) == ("YOUTH", 15000)


def test_postage_is_pro_rata_but_neither_it_nor_the_gift_is_discounted() -> None:
    # 2025-10-01 to 2025-12-31 is 92 of 365 days: 365.00 → 92.00, less 10 % → 82.80;
    # postage 25.00 → 6.30; the gift stays whole.
    result = _quote(_subscription("RUN", product="MAGAZINE", from_date=date(2025, 10, 1)))
    assert [(line.kind, line.amount) for line in result.lines] == [
        (LineKind.PRODUCT, 8280),
        (LineKind.POSTAGE, 630),
        (LineKind.GIFT, 10000),
    ]
    assert result.lines[1].rule.endswith("pro rata 92/365 of the yearly 25.00 → 6.30")


def test_billed_quantity_multiplies_fixed_prices_only() -> None:
    def with_quantity(price_code: str, quantity: int) -> int:
        state = start_subscription(
            CATALOGUE,
            MEMBER,
            subscription_no=12,
            payer=PayerId(uuid.uuid4()),
            today=date(2025, 6, 1),
            product="MEMBER",
            price_code=price_code,
            from_date=date(2025, 6, 1),
            billed_qty=quantity,
        ).state
        member = MemberFacts(MEMBER.member_id, value_units=7)
        return _quote(state, member).total

    assert with_quantity("YOUTH", 3) == 3 * with_quantity("YOUTH", 1)
    assert with_quantity("VALUE", 3) == with_quantity("VALUE", 1) == 21000


def test_after_a_restart_billing_continues_with_the_subsequent_term_and_no_discount() -> None:
    state = _subscription(billed=Period(date(2025, 6, 1), date(2025, 12, 31)))
    stopped = stop_subscription(state, CATALOGUE, today=date(2025, 11, 1)).state
    restarted = restart_subscription(
        stopped, CATALOGUE, today=date(2026, 3, 1), from_date=date(2026, 3, 1)
    ).state
    result = quote(restarted, CATALOGUE, MEMBER, bill_through=date(2026, 3, 1))
    assert not result.first_charge
    assert result.period == Period(date(2026, 3, 1), date(2027, 2, 28))
    assert result.total == 48000
