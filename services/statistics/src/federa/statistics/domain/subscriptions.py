"""A subscription as statistics sees it: the fold of its events and its charged periods.

Decisions (README "Interpretations"):
- the end date is SPEC §4.2 rule 3: none while the subscription renews by itself (no to-date,
  no stop); otherwise the later of billed-through and committed-through. A stop caps the
  commitment at the day before the stop date (the stop ends the agreement) but never undoes
  days already charged and not credited;
- a restart lifts the stop and keeps the first start date: the gap between stop and restart
  is not modelled;
- billed-through is the last day of the latest charged period, pulled back to the day before
  a credited period that reaches it;
- monthly revenue is the net ex-VAT amount of the latest charged period (charges less credits
  for that same period) divided by the months it covers; gift and postage lines are not
  revenue (the projection leaves them out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from federa.statistics.domain.periods import monthly_amount, whole_months


@dataclass(frozen=True)
class ArchivedEvent:
    """What a fold needs of an archived envelope: its name, version and data."""

    name: str  # started, stopped, price_code_changed, ... (the routing key's last part)
    version: int
    data: Mapping[str, Any]


@dataclass(frozen=True)
class SubscriptionState:
    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    payer_account_id: UUID
    organisation_id: UUID | None
    product_code: str
    price_code: str
    from_date: date
    to_date: date | None
    stopped: bool
    stop_date: date | None
    stop_reason: str | None
    delivered_qty: int
    version: int
    # (first day, price code) in force from that day, in date order; the START's first.
    price_history: tuple[tuple[date, str], ...] = ()

    @property
    def auto_renews(self) -> bool:
        return self.to_date is None and not self.stopped


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def fold_subscription(events: Iterable[ArchivedEvent]) -> SubscriptionState | None:
    """The subscription after all its events, applied in version order; None if it never
    started or was deleted (a deleted subscription vanishes from every statistic)."""
    state: SubscriptionState | None = None
    deleted = False
    for event in sorted(events, key=lambda e: e.version):
        data = event.data
        if event.name == "started":
            state = SubscriptionState(
                subscription_id=UUID(str(data["subscription_id"])),
                subscription_no=int(data["subscription_no"]),
                member_id=UUID(str(data["member_id"])),
                payer_account_id=UUID(str(data["payer_account_id"])),
                organisation_id=_uuid(data.get("organisation_id")),
                product_code=str(data["product_code"]),
                price_code=str(data["price_code"]),
                from_date=_day(data["from_date"]) or date.min,
                to_date=_day(data.get("to_date")),
                stopped=False,
                stop_date=None,
                stop_reason=None,
                delivered_qty=int(data.get("delivered_qty", 1)),
                version=event.version,
            )
            state = _priced(state, state.from_date, state.price_code)
        elif event.name == "deleted":
            deleted = True
        elif state is None:
            continue  # a change before its start can only be a broken history; skip it
        elif event.name in ("stopped", "stop_scheduled"):
            state = replace(
                state,
                stopped=True,
                stop_date=_day(data.get("stop_date")),
                stop_reason=data.get("reason_code"),
            )
        elif event.name == "restarted":
            state = replace(state, stopped=False, stop_date=None, stop_reason=None)
            if data.get("price_code") and data.get("from_date"):
                state = _priced(
                    state, _day(data["from_date"]) or state.from_date, str(data["price_code"])
                )
        elif event.name == "price_code_changed":
            state = _priced(
                state, _day(data["effective_date"]) or state.from_date, str(data["new_price_code"])
            )
        elif event.name == "payer_changed":
            state = replace(state, payer_account_id=UUID(str(data["new_payer_account_id"])))
        if state is not None:
            state = replace(state, version=max(state.version, event.version))
    return None if deleted else state


def _priced(state: SubscriptionState, first: date, code: str) -> SubscriptionState:
    """Record that `code` prices the subscription from `first`; a later event for the same
    day replaces an earlier one. `price_code` is the code in force last."""
    history = dict(state.price_history)
    history[first] = code
    ordered = tuple(sorted(history.items()))
    return replace(state, price_history=ordered, price_code=ordered[-1][1])


def price_code_on(state: SubscriptionState, day: date) -> str:
    """The price code in force on `day` (the first one before the start)."""
    code = state.price_history[0][1] if state.price_history else state.price_code
    for first, candidate in state.price_history:
        if first <= day:
            code = candidate
    return code


@dataclass(frozen=True)
class Charge:
    """One document line for the subscription: a charge (invoice, draft, order) or a credit."""

    credit: bool
    period_from: date | None
    period_to: date | None
    amount: int


def billed_through(charges: Sequence[Charge]) -> date | None:
    charged = [c.period_to for c in charges if not c.credit and c.period_to is not None]
    if not charged:
        return None
    through = max(charged)
    credits = sorted(
        (c for c in charges if c.credit and c.period_from and c.period_to),
        key=lambda c: c.period_to or date.min,
        reverse=True,
    )
    for credit in credits:
        assert credit.period_from is not None
        assert credit.period_to is not None
        if credit.period_from <= through <= credit.period_to:
            through = credit.period_from - timedelta(days=1)
    return through


def monthly_revenue(charges: Sequence[Charge]) -> int:
    net: dict[tuple[date, date], int] = defaultdict(int)
    for c in charges:
        if c.period_from is None or c.period_to is None:
            continue
        net[(c.period_from, c.period_to)] += -c.amount if c.credit else c.amount
    for (first, last), amount in sorted(net.items(), reverse=True):
        if amount > 0:
            return monthly_amount(amount, first, last)
    return 0


def charge_interval_months(charges: Sequence[Charge]) -> int:
    months = [
        whole_months(c.period_from, c.period_to)
        for c in charges
        if not c.credit and c.period_from and c.period_to
    ]
    return max(months, default=0)


def commitment_months(state: SubscriptionState) -> int:
    return whole_months(state.from_date, state.to_date) if state.to_date else 0


def end_date(state: SubscriptionState, billed: date | None) -> date | None:
    """SPEC §4.2 rule 3. A result before the start date means it never ran."""
    if state.auto_renews:
        return None
    committed = state.to_date
    if state.stopped:
        last_covered = state.stop_date - timedelta(days=1) if state.stop_date else None
        known = [d for d in (committed, last_covered) if d is not None]
        # A stop without a date ends the subscription where its billing ends.
        committed = min(known) if known else None
    candidates = [d for d in (committed, billed) if d is not None]
    return max(candidates) if candidates else state.from_date - timedelta(days=1)
