"""Rule 33 (*Periodisering*): the schedule of a deferred line over fiscal periods, exact to the
minor unit, and which shares a recognition takes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.deferral import (
    DeferralSchedule,
    DeferredLine,
    FiscalPeriod,
    FiscalYear,
    InvalidDeferral,
    InvalidFiscalPeriod,
    check_deferral_accounting,
    months_of,
    schedule,
    shares_to_recognise,
    split_by_weights,
)


def p(text: str) -> FiscalPeriod:
    return FiscalPeriod.parse(text)


def test_a_year_splits_by_days_per_month() -> None:
    line = DeferredLine(36500, date(2025, 1, 1), date(2025, 12, 31), date(2025, 1, 1))
    shares = dict(schedule(line))
    assert len(shares) == 12
    assert shares[p("2025-01")] == 3100
    assert shares[p("2025-02")] == 2800
    assert shares[p("2025-04")] == 3000
    assert sum(shares.values()) == 36500


def test_the_leftover_units_go_to_the_largest_remainders() -> None:
    # 100 over 3 equal months: 33.33 each, the one unit left to the earliest.
    assert split_by_weights(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over weights 1 and 2: 3.33 and 6.67; the unit goes to the larger remainder.
    assert split_by_weights(10, [1, 2]) == [3, 7]
    assert split_by_weights(-10, [1, 2]) == [-3, -7]
    assert split_by_weights(1, [5, 5, 5]) == [1, 0, 0]


def test_a_period_within_one_month_is_one_share() -> None:
    line = DeferredLine(999, date(2025, 3, 5), date(2025, 3, 9), date(2025, 2, 1))
    assert schedule(line) == [(p("2025-03"), 999)]


def test_a_line_without_period_is_recognised_in_its_posting_month() -> None:
    line = DeferredLine(500, None, None, date(2025, 6, 15))
    assert schedule(line) == [(p("2025-06"), 500)]


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidDeferral):
        months_of(date(2025, 2, 1), date(2025, 1, 31))


def test_a_credit_memo_reverses_the_invoice_share_by_share() -> None:
    invoice = DeferredLine(45001, date(2025, 6, 1), date(2025, 12, 31), date(2025, 6, 15))
    credit = DeferredLine(-45001, date(2025, 6, 1), date(2025, 12, 31), date(2025, 8, 2))
    assert [(m, -a) for m, a in schedule(credit)] == schedule(invoice)


def test_fiscal_periods_are_months_numbered_from_the_fiscal_year_start() -> None:
    july = FiscalYear(first_month=7)
    assert july.period_no(p("2025-07")) == 1
    assert july.period_no(p("2026-06")) == 12
    assert july.start_of(p("2026-03")) == date(2025, 7, 1)
    assert FiscalYear().start_of(p("2026-03")) == date(2026, 1, 1)
    assert p("2025-12").next() == p("2026-01")
    assert str(p("2026-03")) == "2026-03"
    assert p("2024-02").last_day == date(2024, 2, 29)
    for bad in ("2026-13", "2026-3", "26-03", "march"):
        with pytest.raises(InvalidFiscalPeriod):
            p(bad)
    with pytest.raises(InvalidFiscalPeriod):
        FiscalYear(first_month=0)


def test_a_recognition_takes_the_shares_up_to_its_period_not_recognised_before() -> None:
    line = DeferredLine(1200, date(2025, 1, 1), date(2025, 12, 31), date(2025, 1, 10))
    first = shares_to_recognise(
        line, through=p("2025-03"), line_recognised_through=None, first_open=None
    )
    assert [(str(s.period), str(s.booked_in)) for s in first] == [
        ("2025-01", "2025-01"),
        ("2025-02", "2025-02"),
        ("2025-03", "2025-03"),
    ]
    second = shares_to_recognise(
        line, through=p("2025-05"), line_recognised_through=p("2025-03"), first_open=p("2025-04")
    )
    assert [str(s.period) for s in second] == ["2025-04", "2025-05"]
    whole = shares_to_recognise(
        line, through=p("2026-01"), line_recognised_through=None, first_open=None
    )
    assert sum(s.amount for s in whole) == 1200


def test_a_late_document_is_caught_up_in_the_first_open_period() -> None:
    # Invoiced in June for the whole year, after January-March were recognised.
    line = DeferredLine(1200, date(2025, 1, 1), date(2025, 12, 31), date(2025, 6, 1))
    assert (
        shares_to_recognise(
            line, through=p("2025-05"), line_recognised_through=None, first_open=p("2025-04")
        )
        == []
    )  # not on the deferral account before June
    june = shares_to_recognise(
        line, through=p("2025-06"), line_recognised_through=None, first_open=p("2025-04")
    )
    assert {str(s.booked_in) for s in june} == {"2025-06"}
    assert [str(s.period) for s in june] == [f"2025-0{m}" for m in range(1, 7)]
    # Backdated into a closed period: booked in the recognition's first open period.
    backdated = DeferredLine(-300, date(2025, 2, 1), date(2025, 2, 28), date(2025, 2, 20))
    [share] = shares_to_recognise(
        backdated, through=p("2025-07"), line_recognised_through=None, first_open=p("2025-07")
    )
    assert (str(share.period), str(share.booked_in), share.amount) == ("2025-02", "2025-07", -300)


def test_deferral_accounting_needs_an_account_and_a_revenue_account() -> None:
    per_period = DeferralSchedule.PER_FISCAL_PERIOD
    check_deferral_accounting(
        "A",
        schedule=DeferralSchedule.NONE,
        deferral_account=None,
        postage_deferral_account=None,
        revenue_account=None,
    )
    check_deferral_accounting(
        "A",
        schedule=per_period,
        deferral_account=None,
        postage_deferral_account="2720",
        revenue_account="3010",
    )
    for deferral, revenue in ((None, "3010"), ("2710", None), ("3010", "3010")):
        with pytest.raises(InvalidDeferral):
            check_deferral_accounting(
                "A",
                schedule=per_period,
                deferral_account=deferral,
                postage_deferral_account=None,
                revenue_account=revenue,
            )


amounts = st.integers(min_value=-(10**12), max_value=10**12)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(amounts, days, st.integers(min_value=0, max_value=1500))
def test_shares_always_sum_to_the_line_and_differ_from_exact_by_less_than_one(
    amount: int, start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    line = DeferredLine(amount, start, end, start)
    shares = schedule(line)
    assert sum(a for _, a in shares) == amount
    total_days = length + 1
    for (month, share), (_, in_month) in zip(shares, months_of(start, end), strict=True):
        assert abs(share * total_days - amount * in_month) < total_days
        assert start <= month.last_day
        assert month.first_day <= end
    assert [m for m, _ in shares] == sorted({m for m, _ in shares})


@given(amounts, days, st.integers(min_value=0, max_value=800), st.data())
def test_recognising_in_steps_takes_each_share_once(
    amount: int, start: date, length: int, data: st.DataObject
) -> None:
    """However the recognitions are cut, every share is taken once and they add up."""
    end = start + timedelta(days=length)
    line = DeferredLine(amount, start, end, start)
    months = [m for m, _ in schedule(line)]
    cuts = sorted(set([*data.draw(st.lists(st.sampled_from(months), max_size=5)), months[-1]]))
    taken: list[FiscalPeriod] = []
    total = 0
    recognised: FiscalPeriod | None = None
    for cut in cuts:
        shares = shares_to_recognise(
            line,
            through=cut,
            line_recognised_through=recognised,
            first_open=None if recognised is None else recognised.next(),
        )
        taken.extend(s.period for s in shares)
        total += sum(s.amount for s in shares)
        assert all(s.booked_in <= cut for s in shares)
        recognised = cut
    assert taken == months
    assert total == amount
