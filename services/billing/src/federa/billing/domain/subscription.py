"""A subscription's state, its immutable lifecycle entries, and what follows from them
(SPEC §1.2 *Ydelseslinje*, *Ydelsesforløbspost*; §2.2 *Subscription*, *Lifecycle event*)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from uuid import UUID

from federa.billing.domain.ids import MemberId, OrganisationId, PayerId


class SubscriptionStatus(Enum):
    NEW = "new"  # its from-date has not come yet
    ACTIVE = "active"
    STOPPED = "stopped"


class BillingStatus(Enum):
    NEW = "new"
    CHARGED = "charged"
    PAID = "paid"
    REMINDED = "reminded"
    FREE = "free"


class CollectionChannel(Enum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class LifecycleKind(Enum):
    START = "start"
    STOP = "stop"
    PRICE_CHANGE = "price_change"
    MOVE = "move"
    PAYER_CHANGE = "payer_change"


@dataclass(frozen=True)
class LifecycleEntry:
    """One immutable lifecycle entry; a change writes its `-` and `+` entries (PRIS-/PRIS+)."""

    kind: LifecycleKind
    reason_code: str
    effective: date
    recorded_on: date
    old_value: str | None = None
    new_value: str | None = None
    to_date: date | None = None  # temporary moves: last day at the temporary address


@dataclass(frozen=True)
class SubscriptionState:
    subscription_no: int
    member_id: MemberId
    product: str
    price_code: str  # as of the latest command; future changes are only in `lifecycle`
    payer: PayerId  # likewise
    from_date: date
    registration_date: date
    to_date: date | None = None  # last covered day; None = running
    stop_reason: str | None = None
    billed_from: date | None = None
    billed_through: date | None = None
    billing_status: BillingStatus = BillingStatus.NEW
    billed_qty: int = 1
    delivered_qty: int = 1
    persons: int = 1
    delivery_address_no: int = 0
    organisation: OrganisationId | None = None
    collection_channel: CollectionChannel = CollectionChannel.INTERNAL
    acquisition_channel: str | None = None
    campaign: str | None = None
    lifecycle: tuple[LifecycleEntry, ...] = field(default=())

    @property
    def ever_charged(self) -> bool:
        return self.billed_through is not None


def _entries(state: SubscriptionState, *kinds: LifecycleKind) -> list[LifecycleEntry]:
    # Stable sort: entries of one day keep the order the commands wrote them in.
    return sorted(
        (entry for entry in state.lifecycle if entry.kind in kinds),
        key=lambda entry: entry.effective,
    )


def latest_start(state: SubscriptionState) -> date:
    """The effective date of the latest START entry (a restart writes one too)."""
    starts = _entries(state, LifecycleKind.START)
    return starts[-1].effective if starts else state.from_date


def next_unbilled_date(state: SubscriptionState) -> date:
    """SPEC §2.2 rule 24: `billed_through + 1`, or the from-date when never billed; a restart
    after a gap resumes on its own date."""
    if state.billed_through is None:
        return max(state.from_date, latest_start(state))
    return max(state.billed_through + timedelta(days=1), latest_start(state))


def is_first_charge(state: SubscriptionState) -> bool:
    """SPEC §2.2 rules 19 and 25: the first term and the first-period discount belong to the
    subscription's very first charge only (README "First charge")."""
    return state.billed_through is None


def is_due(state: SubscriptionState, bill_through: date) -> bool:
    """SPEC §2.2 rule 24 / §5 row 9: selected when the next unbilled date is on or before the
    bill-through date, and the subscription still covers that day."""
    upcoming = next_unbilled_date(state)
    return upcoming <= bill_through and (state.to_date is None or upcoming <= state.to_date)


def status_on(state: SubscriptionState, day: date) -> SubscriptionStatus:
    if day < state.from_date:
        return SubscriptionStatus.NEW
    if state.to_date is not None and day > state.to_date:
        return SubscriptionStatus.STOPPED
    if day < latest_start(state):
        return SubscriptionStatus.STOPPED  # between a stop and a later restart
    return SubscriptionStatus.ACTIVE


def _value_on(state: SubscriptionState, day: date, kinds: tuple[LifecycleKind, ...]) -> str | None:
    entries = _entries(state, *kinds)
    valid = [entry for entry in entries if entry.effective <= day]
    if valid:
        return valid[-1].new_value
    return entries[0].old_value if entries else None


def price_code_on(state: SubscriptionState, day: date) -> str:
    """The price code in effect on `day`, future price-code changes included (SPEC §2.2
    *Subscription*: "future changes only visible in lifecycle")."""
    value = _value_on(state, day, (LifecycleKind.START, LifecycleKind.PRICE_CHANGE))
    return value or state.price_code


def payer_on(state: SubscriptionState, day: date) -> PayerId:
    value = _value_on(state, day, (LifecycleKind.PAYER_CHANGE,))
    return state.payer if value is None else PayerId(UUID(value))


def delivery_address_on(state: SubscriptionState, day: date) -> int:
    """The address a delivery on `day` goes to (SPEC §2.2 rule 11)."""
    value = _value_on(state, day, (LifecycleKind.MOVE,))
    return state.delivery_address_no if value is None else int(value)
