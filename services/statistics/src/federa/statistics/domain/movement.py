"""Subscription statistics, SPEC §4.2 (source 003): Opening, New, Ended, Closing, Switched.

For a period with both ends inclusive, over subscriptions that ran at all (end date on or
after the start date):
- Opening: valid when the period starts: started before its first day, end on or after it
  (or none);
- New: started within the period;
- Ended: ran out within the period (end date within it) after running in it;
- Closing: still valid after the period's last day: opening + new - ended, by construction;
- Switched: an ended subscription whose member has another starting the next day (the old
  side, "switched to"), or a new one whose member had one ending the day before (the new
  side, "switched from"). Both sides count, each where it moves (SPEC rules 5-6). A deleted
  subscription has no facts, so its partner is no longer a switch (rule 7).

Revenue per column is the sum of the subscriptions' monthly revenue ex VAT.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from federa.statistics.domain.periods import Period


class Column(StrEnum):
    OPENING = "opening"
    NEW = "new"
    ENDED = "ended"
    CLOSING = "closing"
    SWITCHED = "switched"


@dataclass(frozen=True)
class SubscriptionFact:
    subscription_id: UUID
    member_id: UUID
    product_code: str
    from_date: date
    end_date: date | None
    monthly_revenue: int = 0

    @property
    def ran(self) -> bool:
        return self.end_date is None or self.end_date >= self.from_date

    def valid_on(self, day: date) -> bool:
        return (
            self.ran and self.from_date <= day and (self.end_date is None or self.end_date >= day)
        )


@dataclass(frozen=True)
class Switches:
    """Which subscriptions have an edge-to-edge partner of the same member."""

    switched_to_new: frozenset[UUID]  # old side: a successor starts the day after it ends
    switched_from_old: frozenset[UUID]  # new side: a predecessor ended the day before


def find_switches(facts: Iterable[SubscriptionFact]) -> Switches:
    ran = [f for f in facts if f.ran]
    starts: dict[tuple[UUID, date], list[UUID]] = defaultdict(list)
    for f in ran:
        starts[(f.member_id, f.from_date)].append(f.subscription_id)
    old: set[UUID] = set()
    new: set[UUID] = set()
    for f in ran:
        if f.end_date is None:
            continue
        successors = [
            s
            for s in starts.get((f.member_id, f.end_date + timedelta(days=1)), [])
            if s != f.subscription_id
        ]
        if successors:
            old.add(f.subscription_id)
            new.update(successors)
    return Switches(frozenset(old), frozenset(new))


def columns_of(fact: SubscriptionFact, period: Period, switches: Switches) -> set[Column]:
    """The columns one subscription counts in for the period."""
    if not fact.ran or fact.from_date > period.last:
        return set()
    if fact.end_date is not None and fact.end_date < period.first:
        return set()
    cols: set[Column] = set()
    if fact.from_date < period.first:
        cols.add(Column.OPENING)
    else:
        cols.add(Column.NEW)
        if fact.subscription_id in switches.switched_from_old:
            cols.add(Column.SWITCHED)
    if fact.end_date is not None and fact.end_date <= period.last:
        cols.add(Column.ENDED)
        if fact.subscription_id in switches.switched_to_new:
            cols.add(Column.SWITCHED)
    else:
        cols.add(Column.CLOSING)
    return cols


@dataclass
class Cell:
    count: int = 0
    revenue: int = 0


@dataclass
class MovementRow:
    cells: dict[Column, Cell] = field(default_factory=lambda: {c: Cell() for c in Column})

    def add(self, column: Column, revenue: int) -> None:
        self.cells[column].count += 1
        self.cells[column].revenue += revenue


K = TypeVar("K", bound=Hashable)


@dataclass
class MovementTable(Generic[K]):
    rows: dict[K, MovementRow]

    def total(self) -> MovementRow:
        total = MovementRow()
        for row in self.rows.values():
            for column, cell in row.cells.items():
                total.cells[column].count += cell.count
                total.cells[column].revenue += cell.revenue
        return total


def movement(
    facts: Sequence[SubscriptionFact], period: Period, key: Callable[[SubscriptionFact], K]
) -> MovementTable[K]:
    """The statistics table, one row per group `key` gives (always including the product)."""
    switches = find_switches(facts)
    rows: dict[K, MovementRow] = {}
    for fact in facts:
        cols = columns_of(fact, period, switches)
        if not cols:
            continue
        row = rows.setdefault(key(fact), MovementRow())
        for column in cols:
            row.add(column, fact.monthly_revenue)
    return MovementTable(rows)
