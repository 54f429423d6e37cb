"""SPEC §5 worked examples, end to end through the quote (rows 4, 6, 7 and 9).

Rows 1, 2 (reason codes, product codes), 5, 10-12 (lifecycle), 8 (start rules) and 13 (`6M`)
are table tests in the rule families' own files, each citing its row.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from federa.billing.domain.calculations import (
    PayrollBand,
    PayrollTable,
    PayrollTiers,
    PriceCalculation,
)
from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.errors import MissingMinimumDuesLine, MissingProductPeriods
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.domain.lifecycle import record_charge, start_subscription
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import Period
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.product_periods import generate_periods
from federa.billing.domain.quote import Quote, quote
from federa.billing.domain.subscription import SubscriptionState
from federa.billing.domain.terms import YEAR, parse_legacy_term

YEARLY = (DatedPrice(date(2020, 1, 1), 45000),)
TEN_YEARS = generate_periods(date(2020, 1, 1), 10, YEAR)


def _charge(
    *,
    term: str = "1Å",
    calculation: PriceCalculation | None = None,
    from_date: date,
    bill_through: date,
    billed_through: date | None = None,
    periods: tuple[Period, ...] = TEN_YEARS,
    value_units: int | None = None,
) -> Quote:
    first = parse_legacy_term(term)
    subsequent = YEAR if first.running_year else first
    price_code = (
        PriceCode("MEMBER", "P", "P", first, subsequent, prices=YEARLY)
        if calculation is None
        else PriceCode("MEMBER", "P", "P", first, subsequent, calculation=calculation)
    )
    catalogue = Catalogue.of(
        products=[Product("MEMBER", "Membership", periods=periods)], price_codes=[price_code]
    )
    member = MemberFacts(MemberId(uuid.uuid4()), value_units=value_units)
    state: SubscriptionState = start_subscription(
        catalogue,
        member,
        subscription_no=1,
        payer=PayerId(uuid.uuid4()),
        today=from_date,
        product="MEMBER",
        price_code="P",
        from_date=from_date,
    ).state
    if billed_through is not None:
        state = record_charge(state, Period(from_date, billed_through), free=False)
    return quote(state, catalogue, member, bill_through=bill_through)


# Row 4: "`1Å-1D` from 2024-03-15 → period to 2025-03-14; `LÅ` from 2024-03-15 → to
# 2024-12-31, amount pro-rata" (illustrative dates); "`15M` = 15 months".
@pytest.mark.parametrize(
    ("term", "start", "end", "amount"),
    [
        ("1Å-1D", date(2024, 3, 15), date(2025, 3, 14), 45000),
        ("LÅ", date(2024, 3, 15), date(2024, 12, 31), 35902),  # 450.00 x 292/366
        ("LÅ", date(2024, 1, 1), date(2024, 12, 31), 45000),
        ("15M", date(2024, 3, 1), date(2025, 5, 31), 45000),
    ],
)
def test_row_4_billing_term_notation(term: str, start: date, end: date, amount: int) -> None:
    charge = _charge(term=term, from_date=start, bill_through=start)
    assert charge.period == Period(start, end)
    assert charge.total == amount


def _payroll(*bands: PayrollBand) -> PayrollTiers:
    return PayrollTiers((PayrollTable(date(2020, 1, 1), bands),))


WITH_MINIMUM = _payroll(
    PayrollBand(0, 200000, Decimal(0), min_dues=50000), PayrollBand(200001, None, Decimal("0.5"))
)
MINIMUM_ZERO = _payroll(PayrollBand(0, 0, Decimal(0)), PayrollBand(1, None, Decimal("0.5")))
NO_ZERO_LINE = _payroll(PayrollBand(0, None, Decimal("0.5")))


# Row 6: "a line with price kr. 0 carrying minimum dues must always exist, even if the minimum
# is kr. 0, otherwise error at billing"; minimum applied when the tiered sum is lower.
@pytest.mark.parametrize(
    ("tiers", "units", "amount"),
    [
        (WITH_MINIMUM, 250000, 50000),  # tiered 250.00 < minimum 500.00
        (WITH_MINIMUM, 400000, 100000),  # tiered 1 000.00 ≥ minimum
        (MINIMUM_ZERO, 1000, 500),
        (NO_ZERO_LINE, 1000, None),  # error at billing
    ],
)
def test_row_6_payroll_minimum_dues_line(
    tiers: PayrollTiers, units: int, amount: int | None
) -> None:
    def charge() -> Quote:
        return _charge(
            calculation=tiers,
            from_date=date(2025, 1, 1),
            bill_through=date(2025, 1, 1),
            value_units=units,
        )

    if amount is None:
        with pytest.raises(MissingMinimumDuesLine):
            charge()
    else:
        assert charge().total == amount


# Row 7: "Billing 2025 with periods ending 2025-12-31 → error log entry; with periods to
# 2026-12-31 → success."
@pytest.mark.parametrize(
    ("periods_through", "succeeds"), [(date(2025, 12, 31), False), (date(2026, 12, 31), True)]
)
def test_row_7_product_periods_a_year_beyond(periods_through: date, succeeds: bool) -> None:
    count = periods_through.year - 2024
    periods = generate_periods(date(2025, 1, 1), count, YEAR)

    def charge() -> Quote:
        return _charge(from_date=date(2025, 3, 1), bill_through=date(2025, 3, 1), periods=periods)

    if succeeds:
        assert charge().total == 45000
    else:
        with pytest.raises(MissingProductPeriods):
            charge()


# Row 9: "member 2 billed through 31.05: the bill-through date must be after 31.05, i.e. from
# 01.06"; "a new member with from-date 1.5 is included" once the bill-through reaches it.
@pytest.mark.parametrize(
    ("from_date", "billed_through", "bill_through", "due"),
    [
        (date(2024, 6, 1), date(2025, 5, 31), date(2025, 5, 31), False),
        (date(2024, 6, 1), date(2025, 5, 31), date(2025, 6, 1), True),
        (date(2025, 5, 1), None, date(2025, 4, 30), False),
        (date(2025, 5, 1), None, date(2025, 5, 1), True),
        (date(2025, 5, 1), None, date(2025, 5, 31), True),
    ],
)
def test_row_9_selection_by_billed_through(
    from_date: date, billed_through: date | None, bill_through: date, due: bool
) -> None:
    charge = _charge(from_date=from_date, billed_through=billed_through, bill_through=bill_through)
    assert (charge.period is not None) is due
