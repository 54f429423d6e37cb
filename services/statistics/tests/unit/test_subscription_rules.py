"""SPEC §4.2 (source 003) as tables: end dates, the five columns, switches, voided ones."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.statistics.domain.movement import (
    Column,
    SubscriptionFact,
    columns_of,
    find_switches,
    movement,
)
from federa.statistics.domain.periods import Period
from federa.statistics.domain.subscriptions import (
    ArchivedEvent,
    Charge,
    billed_through,
    end_date,
    fold_subscription,
    monthly_revenue,
    price_code_on,
)

D = date
SUB = uuid.uuid4()
MEMBER = uuid.uuid4()
PAYER = uuid.uuid4()


def started(version: int = 1, **over: object) -> ArchivedEvent:
    data: dict[str, object] = {
        "subscription_id": str(SUB),
        "subscription_no": 7,
        "member_id": str(MEMBER),
        "payer_account_id": str(PAYER),
        "product_code": "MEMB",
        "price_code": "STD",
        "from_date": "2024-01-01",
        "to_date": None,
    }
    data.update(over)
    return ArchivedEvent("started", version, data)


def ev(name: str, version: int, **data: object) -> ArchivedEvent:
    return ArchivedEvent(name, version, data)


def charge(first: date, last: date, amount: int, *, credit: bool = False) -> Charge:
    return Charge(credit, first, last, amount)


@pytest.mark.parametrize(
    ("events", "charges", "end"),
    [
        # auto-renewing: no to-date, no stop: never ends, however long it is billed
        ([started()], [charge(D(2024, 1, 1), D(2024, 3, 31), 300)], None),
        ([started()], [], None),
        # billed through March, committed through June: runs until June
        (
            [started(to_date="2024-06-30")],
            [charge(D(2024, 1, 1), D(2024, 3, 31), 300)],
            D(2024, 6, 30),
        ),
        # billed beyond the commitment: runs until billed-through
        (
            [started(to_date="2024-06-30")],
            [charge(D(2024, 1, 1), D(2024, 12, 31), 1200)],
            D(2024, 12, 31),
        ),
        # a running one stopped from October: ends the day before
        (
            [started(), ev("stopped", 2, stop_date="2024-10-01")],
            [charge(D(2024, 1, 1), D(2024, 9, 30), 900)],
            D(2024, 9, 30),
        ),
        # stopped inside a charged year without credit: the paid days still count
        (
            [started(), ev("stopped", 2, stop_date="2024-07-01")],
            [charge(D(2024, 1, 1), D(2024, 12, 31), 1200)],
            D(2024, 12, 31),
        ),
        # ... and with the rest credited: ends with the stop
        (
            [started(), ev("stopped", 2, stop_date="2024-07-01")],
            [
                charge(D(2024, 1, 1), D(2024, 12, 31), 1200),
                charge(D(2024, 7, 1), D(2024, 12, 31), 600, credit=True),
            ],
            D(2024, 6, 30),
        ),
        # a stop caps the commitment
        (
            [started(to_date="2024-12-31"), ev("stopped", 2, stop_date="2024-04-01")],
            [charge(D(2024, 1, 1), D(2024, 3, 31), 300)],
            D(2024, 3, 31),
        ),
        # a restart lifts the stop: running again
        (
            [
                started(),
                ev("stopped", 2, stop_date="2024-04-01"),
                ev("restarted", 3, price_code="STD", from_date="2024-05-01"),
            ],
            [],
            None,
        ),
        # never billed, stopped without a date: it never ran
        ([started(), ev("stopped", 2)], [], D(2023, 12, 31)),
    ],
)
def test_end_date(events: list[ArchivedEvent], charges: list[Charge], end: date | None) -> None:
    state = fold_subscription(events)
    assert state is not None
    assert end_date(state, billed_through(charges)) == end


def test_versions_not_arrival_decide() -> None:
    events = [ev("stopped", 2, stop_date="2024-04-01"), started(1), ev("restarted", 3)]
    assert fold_subscription(events) == fold_subscription(list(reversed(events)))
    state = fold_subscription(events)
    assert state is not None
    assert state.auto_renews


def test_the_price_code_in_force_on_a_day() -> None:
    events = [
        started(),
        ev("price_code_changed", 2, new_price_code="HALF", effective_date="2024-07-01"),
        ev("price_code_changed", 3, new_price_code="STUD", effective_date="2025-01-01"),
    ]
    state = fold_subscription(list(reversed(events)))
    assert state is not None
    assert state.price_code == "STUD"
    days = [D(2023, 12, 31), D(2024, 6, 30), D(2024, 7, 1), D(2025, 1, 1)]
    assert [price_code_on(state, d) for d in days] == ["STD", "STD", "HALF", "STUD"]


@pytest.mark.parametrize(
    "events",
    [
        [started(), ev("deleted", 2)],
        [ev("deleted", 2), started()],
        [ev("stopped", 2, stop_date="2024-04-01")],  # never started
    ],
)
def test_deleted_or_unstarted_subscriptions_vanish(events: list[ArchivedEvent]) -> None:
    assert fold_subscription(events) is None


@pytest.mark.parametrize(
    ("charges", "monthly"),
    [
        ([charge(D(2024, 1, 1), D(2024, 12, 31), 45000)], 3750),
        ([charge(D(2024, 1, 1), D(2024, 3, 31), 30000)], 10000),
        # the latest period counts; a fully credited one falls back to the one before
        (
            [
                charge(D(2024, 1, 1), D(2024, 6, 30), 6000),
                charge(D(2024, 7, 1), D(2024, 12, 31), 9000),
            ],
            1500,
        ),
        (
            [
                charge(D(2024, 1, 1), D(2024, 6, 30), 6000),
                charge(D(2024, 7, 1), D(2024, 12, 31), 9000),
                charge(D(2024, 7, 1), D(2024, 12, 31), 9000, credit=True),
            ],
            1000,
        ),
        ([], 0),
    ],
)
def test_monthly_revenue(charges: list[Charge], monthly: int) -> None:
    assert monthly_revenue(charges) == monthly


A, B, C = (uuid.uuid4() for _ in range(3))
YEAR = Period(D(2024, 1, 1), D(2024, 12, 31))


def fact(
    start: date,
    end: date | None,
    *,
    member: uuid.UUID = MEMBER,
    sid: uuid.UUID | None = None,
    revenue: int = 100,
) -> SubscriptionFact:
    return SubscriptionFact(sid or uuid.uuid4(), member, "MEMB", start, end, revenue)


@pytest.mark.parametrize(
    ("start", "end", "columns"),
    [
        (D(2023, 5, 1), None, {Column.OPENING, Column.CLOSING}),
        (D(2023, 5, 1), D(2024, 3, 31), {Column.OPENING, Column.ENDED}),
        (D(2024, 1, 1), None, {Column.NEW, Column.CLOSING}),  # starts on the first day: new
        (D(2024, 2, 1), D(2024, 12, 31), {Column.NEW, Column.ENDED}),  # ends on the last day
        (D(2024, 2, 1), D(2025, 1, 1), {Column.NEW, Column.CLOSING}),
        (D(2023, 1, 1), D(2023, 12, 31), set()),  # ended the day before
        (D(2025, 1, 1), None, set()),  # starts the day after
        (D(2024, 5, 1), D(2024, 4, 30), set()),  # never ran
    ],
)
def test_columns(start: date, end: date | None, columns: set[Column]) -> None:
    f = fact(start, end)
    assert columns_of(f, YEAR, find_switches([f])) == columns


def test_worked_example_opening_100_new_12_ended_7_closing_105() -> None:
    facts = (
        [fact(D(2023, 1, 1), None) for _ in range(93)]
        + [fact(D(2023, 1, 1), D(2024, 6, 30)) for _ in range(7)]
        + [fact(D(2024, 3, 1), None) for _ in range(12)]
    )
    row = movement(facts, YEAR, key=lambda f: f.product_code).rows["MEMB"]
    counts = {c: cell.count for c, cell in row.cells.items()}
    assert counts == {
        Column.OPENING: 100,
        Column.NEW: 12,
        Column.ENDED: 7,
        Column.CLOSING: 105,
        Column.SWITCHED: 0,
    }


@pytest.mark.parametrize(
    ("old_end", "new_start", "switch"),
    [
        (D(2024, 3, 31), D(2024, 4, 1), True),  # edge to edge
        (D(2024, 3, 31), D(2024, 4, 2), False),  # a day apart
        (D(2024, 3, 31), D(2024, 3, 31), False),  # overlapping
    ],
)
def test_edge_to_edge_is_a_switch(old_end: date, new_start: date, switch: bool) -> None:
    old = fact(D(2023, 1, 1), old_end, sid=A)
    new = fact(new_start, None, sid=B)
    found = find_switches([old, new])
    assert (A in found.switched_to_new, B in found.switched_from_old) == (switch, switch)
    assert (Column.SWITCHED in columns_of(old, YEAR, found)) is switch
    assert (Column.SWITCHED in columns_of(new, YEAR, found)) is switch


def test_another_persons_subscription_is_no_switch() -> None:
    found = find_switches(
        [
            fact(D(2023, 1, 1), D(2024, 3, 31), sid=A),
            fact(D(2024, 4, 1), None, sid=B, member=uuid.uuid4()),
        ]
    )
    assert not found.switched_to_new
    assert not found.switched_from_old


def test_deleting_one_side_undoes_the_switch() -> None:
    """A deleted subscription has no facts (the fold gives None), so only the other remains."""
    old = fact(D(2023, 1, 1), D(2024, 3, 31), sid=A)
    assert find_switches([old]).switched_to_new == frozenset()
    assert Column.SWITCHED not in columns_of(old, YEAR, find_switches([old]))


days = st.dates(min_value=D(2022, 1, 1), max_value=D(2026, 12, 31))


@given(
    subs=st.lists(st.tuples(days, st.one_of(st.none(), days), st.integers(0, 10_000)), max_size=40),
    first=days,
    length=st.integers(0, 800),
)
def test_closing_is_always_opening_plus_new_minus_ended(
    subs: list[tuple[date, date | None, int]], first: date, length: int
) -> None:
    from datetime import timedelta

    period = Period(first, first + timedelta(days=length))
    facts = [
        fact(s, e, revenue=r, member=MEMBER if i % 2 else A) for i, (s, e, r) in enumerate(subs)
    ]
    total = movement(facts, period, key=lambda f: f.product_code).total().cells
    for measure in ("count", "revenue"):
        opening, new, ended, closing = (
            getattr(total[c], measure)
            for c in (Column.OPENING, Column.NEW, Column.ENDED, Column.CLOSING)
        )
        assert opening + new - ended == closing
    valid_after = sum(1 for f in facts if f.valid_on(period.last) and f.end_date != period.last)
    assert total[Column.CLOSING].count == valid_after
