"""Subscription lifecycle commands as pure functions (SPEC §2.2 rules 1-5, 8-13, 23).

Each command takes the state and returns the new state with the lifecycle entries it wrote;
an invalid command raises a domain error and changes nothing. `today` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from federa.billing.domain.catalogue import Catalogue, ReasonAction
from federa.billing.domain.errors import (
    CannotDelete,
    ChargeOutOfSequence,
    ImpossibleDates,
    InvalidQuantity,
    NothingToChange,
    PrerequisiteProductMissing,
    PriceChangeInsideBilledPeriod,
    StopReasonRequired,
    SubscriptionNotActive,
    SubscriptionNotStopped,
    UnknownPriceCode,
    UnknownProduct,
)
from federa.billing.domain.ids import OrganisationId, PayerId
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.periods import Period
from federa.billing.domain.start_dates import propose_from_date
from federa.billing.domain.subscription import (
    BillingStatus,
    CollectionChannel,
    LifecycleEntry,
    LifecycleKind,
    SubscriptionState,
    SubscriptionStatus,
    delivery_address_on,
    latest_start,
    next_unbilled_date,
    payer_on,
    price_code_on,
    status_on,
)


@dataclass(frozen=True)
class Changed:
    state: SubscriptionState
    entries: tuple[LifecycleEntry, ...]


@dataclass(frozen=True)
class Stopped(Changed):
    # `credit` set: the latest billed period is credited (or its order deleted), rule 8.
    credit_period: Period | None
    # Billed days after the stop date; without `credit` the run's to-date adjustment credits
    # them (rule 29, SPEC §5 row 12).
    billed_after_stop: Period | None
    related_products: tuple[str, ...]
    member_status_to_set: str | None


def _record(state: SubscriptionState, *entries: LifecycleEntry) -> Changed:
    return Changed(replace(state, lifecycle=(*state.lifecycle, *entries)), entries)


def start_subscription(
    catalogue: Catalogue,
    member: MemberFacts,
    *,
    subscription_no: int,
    payer: PayerId,
    today: date,
    registration_date: date | None = None,
    product: str | None = None,
    price_code: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    stop_reason: str | None = None,
    billed_qty: int | None = None,
    delivered_qty: int | None = None,
    persons: int | None = None,
    delivery_address_no: int = 0,
    organisation: OrganisationId | None = None,
    collection_channel: CollectionChannel = CollectionChannel.INTERNAL,
    acquisition_channel: str | None = None,
    campaign: str | None = None,
    reason: str = "START",
) -> Changed:
    """`StartSubscription` with the defaults of rule 2 and the from-date of rule 3; an explicit
    from-date overrides the proposal (staff confirm it in the wizard, rule 5). The registration
    date defaults to today (SPEC §2.2 *Subscription*)."""
    registration_date = registration_date or today
    product_code = product or catalogue.default_product
    if product_code is None:
        raise UnknownProduct("no product given and the tenant has no default product")
    chosen = catalogue.product(product_code)
    prerequisite = catalogue.prerequisite_product
    if prerequisite and chosen.code != prerequisite and prerequisite not in member.active_products:
        raise PrerequisiteProductMissing(
            f"{chosen.code} needs an active {prerequisite} on the member first (rule 1)"
        )
    code_name = price_code or chosen.default_price_code
    if code_name is None:
        raise UnknownPriceCode(f"product {chosen.code} has no default price code; choose one")
    code = catalogue.price_code(chosen.code, code_name)
    catalogue.reason(reason, ReasonAction.START)
    if from_date is None:
        from_date, _ = propose_from_date(
            registration_date,
            price_code_rules=code.period_start_rules,
            product_rules=chosen.period_start_rules,
            default_start_rule=chosen.default_start_rule,
            product_periods=chosen.periods,
        )
    if to_date is not None:
        if stop_reason is None:
            raise StopReasonRequired("a time-limited subscription needs a stop reason (rule 4)")
        catalogue.reason(stop_reason, ReasonAction.STOP)
        if to_date < from_date:
            raise ImpossibleDates(f"to-date {to_date} is before from-date {from_date}")
    state = SubscriptionState(
        subscription_no=subscription_no,
        member_id=member.member_id,
        product=chosen.code,
        price_code=code.code,
        payer=payer,
        from_date=from_date,
        registration_date=registration_date,
        to_date=to_date,
        stop_reason=stop_reason if to_date is not None else None,
        billed_qty=_quantity(billed_qty, code.billed_qty, chosen.default_billed_qty),
        delivered_qty=_quantity(delivered_qty, code.delivered_qty, chosen.default_delivered_qty),
        persons=_quantity(persons, code.persons, chosen.default_persons),
        delivery_address_no=delivery_address_no,
        organisation=organisation,
        collection_channel=collection_channel,
        acquisition_channel=acquisition_channel,
        campaign=campaign,
    )
    entry = LifecycleEntry(LifecycleKind.START, reason, from_date, today, new_value=code.code)
    return _record(state, entry)


def _quantity(given: int | None, price_code: int | None, product: int) -> int:
    quantity = next(q for q in (given, price_code, product) if q is not None)
    if quantity < 0:
        raise InvalidQuantity(f"quantities cannot be negative ({quantity})")
    return quantity


def default_stop_date(state: SubscriptionState) -> date:
    """SPEC §2.2 rule 8 / §5 row 10: the day after the last billed period; for a subscription
    never billed since its (re)start, that start (nothing covered). The stop date is the first
    day without coverage (§6.3 item 4, README "Stop date")."""
    return next_unbilled_date(state)


def stop_subscription(
    state: SubscriptionState,
    catalogue: Catalogue,
    *,
    today: date,
    reason: str | None = None,
    stop_date: date | None = None,
    credit: bool | None = None,
    stop_related: bool | None = None,
) -> Stopped:
    """`StopSubscription(reason, date, credit, stop_related)`; credit and related stops default
    to the reason code's options."""
    if status_on(state, today) is SubscriptionStatus.STOPPED:
        raise SubscriptionNotActive(f"subscription {state.subscription_no} is already stopped")
    stop_reason = catalogue.reason(reason or catalogue.default_stop_reason, ReasonAction.STOP)
    stop_on = stop_date or default_stop_date(state)
    if stop_on < latest_start(state):
        raise ImpossibleDates(f"stop date {stop_on} is before the start {latest_start(state)}")
    do_credit = stop_reason.credit_on_stop if credit is None else credit
    do_related = stop_reason.stop_related if stop_related is None else stop_related
    billed = (
        Period(state.billed_from, state.billed_through)
        if state.billed_from is not None and state.billed_through is not None
        else None
    )
    after_stop = (
        Period(max(stop_on, billed.start), billed.end)
        if billed is not None and stop_on <= billed.end
        else None
    )
    entry = LifecycleEntry(
        LifecycleKind.STOP,
        stop_reason.code,
        stop_on,
        today,
        old_value=price_code_on(state, stop_on - timedelta(days=1)),
    )
    changed = _record(
        replace(state, to_date=stop_on - timedelta(days=1), stop_reason=stop_reason.code), entry
    )
    return Stopped(
        state=changed.state,
        entries=changed.entries,
        credit_period=billed if do_credit else None,
        billed_after_stop=None if do_credit else after_stop,
        related_products=catalogue.product(state.product).related_stops if do_related else (),
        member_status_to_set=stop_reason.new_member_status,
    )


def stop_date_of(stopped: Stopped) -> date:
    """The first day without coverage: the STOP entry's effective date."""
    [entry] = stopped.entries
    return entry.effective


def takes_effect_later(stopped: Stopped, *, today: date) -> bool:
    """A stop dated after today is *scheduled* (rule 8: "a (possibly future-dated) stop
    event"): the subscription still covers today, and the stop is announced as scheduled
    until its date comes."""
    return stop_date_of(stopped) > today


def _require_active(state: SubscriptionState, today: date) -> None:
    if status_on(state, today) is SubscriptionStatus.STOPPED:
        raise SubscriptionNotActive(f"subscription {state.subscription_no} is stopped")


def change_price_code(
    state: SubscriptionState,
    catalogue: Catalogue,
    *,
    new_price_code: str,
    today: date,
    from_date: date | None = None,
    collection_channel: CollectionChannel | None = None,
) -> Changed:
    """`ChangePriceCode(new, from)`: from the first day of the next billing period by default,
    later if asked, never inside a billed period (SPEC §2.2 rule 9, §5 row 5). The new code
    prices every period that starts on or after the from-date."""
    _require_active(state, today)
    effective = from_date or next_unbilled_date(state)
    if state.billed_through is not None and effective <= state.billed_through:
        raise PriceChangeInsideBilledPeriod(
            f"{effective} lies inside the billed period {state.billed_from} to "
            f"{state.billed_through}; the earliest price-code change is "
            f"{state.billed_through + timedelta(days=1)}"
        )
    if effective < state.from_date:
        raise ImpossibleDates(
            f"price-code change {effective} is before the start {state.from_date}"
        )
    new = catalogue.price_code(state.product, new_price_code)
    old = price_code_on(state, effective)
    if new.code == old:
        raise NothingToChange(f"price code is already {old} on {effective}")
    codes = catalogue.product(state.product).lifecycle_codes
    out_reason = catalogue.reason(codes.price_from, ReasonAction.PRICE_FROM)
    in_reason = catalogue.reason(codes.price_to, ReasonAction.PRICE_TO)
    entries = tuple(
        LifecycleEntry(LifecycleKind.PRICE_CHANGE, r.code, effective, today, old, new.code)
        for r in (out_reason, in_reason)
    )
    return _record(
        replace(
            state,
            price_code=new.code if effective <= today else state.price_code,
            collection_channel=collection_channel or state.collection_channel,
        ),
        *entries,
    )


def change_payer(
    state: SubscriptionState, catalogue: Catalogue, *, new_payer: PayerId, today: date
) -> Changed:
    """`ChangePayer(new)`: always from the day after the latest invoiced period, for this
    subscription only (SPEC §2.2 rule 10, §5 row 11): there is no date to choose."""
    _require_active(state, today)
    effective = next_unbilled_date(state)
    old = payer_on(state, effective)
    if old == new_payer:
        raise NothingToChange(f"payer is already {new_payer} from {effective}")
    codes = catalogue.product(state.product).lifecycle_codes
    entries = tuple(
        LifecycleEntry(
            LifecycleKind.PAYER_CHANGE, r.code, effective, today, str(old), str(new_payer)
        )
        for r in (
            catalogue.reason(codes.payer_from, ReasonAction.PAYER_FROM),
            catalogue.reason(codes.payer_to, ReasonAction.PAYER_TO),
        )
    )
    return _record(replace(state, payer=new_payer if effective <= today else state.payer), *entries)


def move_delivery(
    state: SubscriptionState,
    catalogue: Catalogue,
    *,
    new_address_no: int,
    from_date: date,
    today: date,
    to_date: date | None = None,
) -> Changed:
    """`MoveDelivery(new_address, from, to?)`: blank to-date is permanent; a temporary move
    returns by itself the day after `to_date` (SPEC §2.2 rule 11)."""
    _require_active(state, today)
    if to_date is not None and to_date < from_date:
        raise ImpossibleDates(f"temporary move ends {to_date} before it starts {from_date}")
    old = delivery_address_on(state, from_date)
    if old == new_address_no:
        raise NothingToChange(f"deliveries already go to address {old} on {from_date}")
    codes = catalogue.product(state.product).lifecycle_codes

    def entry(
        code: str, action: ReasonAction, on: date, old_no: int, new_no: int
    ) -> LifecycleEntry:
        reason = catalogue.reason(code, action)
        return LifecycleEntry(
            LifecycleKind.MOVE, reason.code, on, today, str(old_no), str(new_no), to_date
        )

    entries: tuple[LifecycleEntry, ...]
    if to_date is None:
        entries = (
            entry(codes.move_out, ReasonAction.MOVE_OUT, from_date, old, new_address_no),
            entry(codes.move_in, ReasonAction.MOVE_IN, from_date, old, new_address_no),
        )
    else:
        back = to_date + timedelta(days=1)
        entries = (
            entry(codes.temporary_out, ReasonAction.MOVE_OUT, from_date, old, new_address_no),
            entry(codes.temporary_in, ReasonAction.MOVE_IN, from_date, old, new_address_no),
            entry(codes.temporary_back_out, ReasonAction.MOVE_OUT, back, new_address_no, old),
            entry(codes.temporary_back_in, ReasonAction.MOVE_IN, back, new_address_no, old),
        )
    moved = _record(state, *entries)
    current = delivery_address_on(moved.state, today)
    return Changed(replace(moved.state, delivery_address_no=current), entries)


def propose_restart(state: SubscriptionState) -> tuple[str, date]:
    """SPEC §2.2 rule 12: restart proposes the price code and date of the last lifecycle entry
    (the stop): coverage continues where it ended."""
    if state.to_date is None:
        raise SubscriptionNotStopped(f"subscription {state.subscription_no} is not stopped")
    resume = state.to_date + timedelta(days=1)
    return price_code_on(state, state.to_date), resume


def restart_subscription(
    state: SubscriptionState,
    catalogue: Catalogue,
    *,
    today: date,
    price_code: str | None = None,
    from_date: date | None = None,
    reason: str = "START",
) -> Changed:
    """`RestartSubscription`: a START entry from the proposed (or chosen) date, which must not
    be before the stop date; billing resumes there (README "Restart")."""
    proposed_code, proposed_from = propose_restart(state)
    if proposed_from > today:
        # A stop that has not taken effect is replaced by another stop, not restarted: a
        # START after it would read as a gap in coverage that never happened.
        raise SubscriptionNotStopped(
            f"subscription {state.subscription_no} stops on {proposed_from}, not yet"
        )
    resume = from_date or proposed_from
    if resume < proposed_from:
        raise ImpossibleDates(f"restart {resume} is before the stop date {proposed_from}")
    code = catalogue.price_code(state.product, price_code or proposed_code)
    start_reason = catalogue.reason(reason, ReasonAction.START)
    entry = LifecycleEntry(
        LifecycleKind.START, start_reason.code, resume, today, new_value=code.code
    )
    return _record(
        replace(
            state,
            to_date=None,
            stop_reason=None,
            price_code=code.code if resume <= today else state.price_code,
        ),
        entry,
    )


def ensure_deletable(state: SubscriptionState, *, today: date) -> None:
    """`DeleteSubscription` is allowed only for a subscription that is not active and was never
    charged: documents keep the audit trail otherwise (SPEC §2.2 rule 13)."""
    if state.ever_charged:
        raise CannotDelete(
            f"subscription {state.subscription_no} has been charged; stop it instead"
        )
    if status_on(state, today) is SubscriptionStatus.ACTIVE:
        raise CannotDelete(f"subscription {state.subscription_no} is active; stop it first")


def record_charge(state: SubscriptionState, period: Period, *, free: bool) -> SubscriptionState:
    """A run charged `period`: it must start on the next unbilled date, so no day is billed
    twice and none is skipped (SPEC §2.2 rules 24 and 31)."""
    expected = next_unbilled_date(state)
    if period.start != expected:
        raise ChargeOutOfSequence(
            f"subscription {state.subscription_no}: the next charge starts {expected}, "
            f"not {period.start}"
        )
    return replace(
        state,
        billed_from=period.start,
        billed_through=period.end,
        billing_status=BillingStatus.FREE if free else BillingStatus.CHARGED,
    )


def recalculate_start_on_payment(
    state: SubscriptionState, catalogue: Catalogue, *, paid_on: date
) -> SubscriptionState:
    """SPEC §2.2 rule 23: when the price code asks for it, the first charge's payment date
    becomes the from-date. Billed periods stay as charged (README "Open")."""
    code = catalogue.price_code(state.product, price_code_on(state, state.from_date))
    if not code.recalculate_start_on_payment or state.billed_from != state.from_date:
        return state
    return replace(state, from_date=paid_on)
