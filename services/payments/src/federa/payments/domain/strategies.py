"""The four application strategies (SPEC §2.3 rules 3-8 and 10), as one pure function.

`apply_payment` gets the payment's amount and the payer's candidate items already in payment
order (`items.payment_order`) and decides, without I/O, what each item receives. What is left
over goes by the source's overpayment rule (rule 7: gift, or an exception that keeps the money
on the payer's account); a shortfall is written off when the rules forgive it (rule 8 write-off
limit, rule 10 tolerance for reference payments).

Decisions where the SPEC leaves room are in the README ("Decisions") and pinned by
`tests/unit/domain/strategies/`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from federa.payments.domain.items import OpenItem
from federa.payments.domain.outcome import Allocation, Application, ExceptionReason
from federa.payments.domain.setup import Overpayment, Rules, Strategy

Allocations = list[Allocation]


def apply_payment(
    amount: int, items: Sequence[OpenItem], rules: Rules, *, reference_payment: bool = False
) -> Application:
    """Spread `amount` (> 0) over `items` (in payment order) by the source's strategy."""
    if amount <= 0:
        raise ValueError(f"a payment is positive, not {amount}")
    open_items = [i for i in items if i.remaining > 0]
    if not open_items:
        # Rules 3-6: "no charge -> the whole amount is gift", by the overpayment rule.
        return _rest(amount, [], amount, rules, reason=ExceptionReason.NOTHING_OPEN)
    strategy = _STRATEGIES[rules.source.strategy]
    return strategy(amount, open_items, rules, reference_payment)


def _rest(
    payment: int,
    allocations: Allocations,
    rest: int,
    rules: Rules,
    *,
    reason: ExceptionReason = ExceptionReason.OVERPAYMENT,
) -> Application:
    """Rule 7: what exceeds the charges is a gift, regardless of size, or waits as an
    exception (left on the payer's account)."""
    if rest == 0:
        return Application(payment, tuple(allocations))
    if allocations and rules.reminder_fee and rest == rules.reminder_fee:
        return Application(
            payment,
            tuple(allocations),
            exception=rest,
            reason=ExceptionReason.REMINDER_FEE_INCLUDED,
        )
    if rules.source.overpayment is Overpayment.GIFT:
        return Application(payment, tuple(allocations), gift=rest)
    return Application(payment, tuple(allocations), exception=rest, reason=reason)


def _settle(item: OpenItem, left: int, rules: Rules, reference_payment: bool) -> Allocation:
    """Settle `item` whole with `left`, writing off what is missing (callers checked it is
    forgiven) and saying which rule forgave it."""
    paid = min(left, item.remaining)
    missing = item.remaining - paid
    reason = None
    if missing:
        reason = rules.forgiven_by(missing, item.remaining, reference_payment=reference_payment)
    return Allocation(item.document_id, paid, written_off=missing, writeoff_reason=reason)


def _forgiven(item: OpenItem, paid: int, rules: Rules, reference_payment: bool) -> bool:
    return rules.forgives(
        item.remaining - paid, item.remaining, reference_payment=reference_payment
    )


def single_charge(
    amount: int, items: list[OpenItem], rules: Rules, reference_payment: bool
) -> Application:
    """Rule 3: the oldest item (an order of exactly the amount wins) is settled, whatever the
    amount; the rest of the payment is gift; a shortfall is written off within the limit, and
    beyond it the payment is a deviant (partial) payment for a person."""
    exact = [i for i in items if i.kind == "order" and i.remaining == amount]
    target = exact[0] if exact else items[0]
    if amount < target.remaining and not _forgiven(target, amount, rules, reference_payment):
        return Application(amount, exception=amount, reason=ExceptionReason.PARTIAL_PAYMENT)
    allocation = _settle(target, amount, rules, reference_payment)
    return _rest(amount, [allocation], amount - allocation.amount, rules)


def whole_document(
    amount: int, items: list[OpenItem], rules: Rules, reference_payment: bool
) -> Application:
    """Rule 4: one document settled whole: an item of exactly the amount, else the oldest the
    payment covers (or covers but for a forgiven shortfall); the rest is gift.

    Decision (SPEC §6.3 item 2): when the payment covers no document, it is *not* booked as a
    gift, as the manual's transcript reads: a member who pays 400 of 500 would lose the 400 and
    still owe 500. It waits as a partial payment for a person instead."""
    exact = [i for i in items if i.remaining == amount]
    fitting = exact or [
        i for i in items if i.remaining <= amount or _forgiven(i, amount, rules, reference_payment)
    ]
    if not fitting:
        return Application(amount, exception=amount, reason=ExceptionReason.PARTIAL_PAYMENT)
    allocation = _settle(fitting[0], amount, rules, reference_payment)
    return _rest(amount, [allocation], amount - allocation.amount, rules)


def as_much_as_possible(
    amount: int, items: list[OpenItem], rules: Rules, reference_payment: bool
) -> Application:
    """Rule 5: oldest first, every item until the payment is used up; the last may stay
    partly open (or its shortfall is written off when forgiven); the excess is gift."""
    allocations: Allocations = []
    left = amount
    for item in items:
        if left == 0:
            break
        paid = min(left, item.remaining)
        left -= paid
        if paid < item.remaining and _forgiven(item, paid, rules, reference_payment):
            allocations.append(_settle(item, paid, rules, reference_payment))
        else:
            allocations.append(Allocation(item.document_id, paid))
    return _rest(amount, allocations, left, rules)


def whole_documents_as_possible(
    amount: int, items: list[OpenItem], rules: Rules, reference_payment: bool
) -> Application:
    """Rule 6: oldest first, only items the payment settles completely (an item too large is
    skipped, a later smaller one may still fit); the excess over every charge is gift.

    Decision (SPEC §6.3 item 3): a rest that remains while items are still open is neither a
    gift (the manual's gift is the excess over *all* charges) nor spread as a partial payment
    (the strategy's name excludes it): the first open item whose shortfall the rules forgive
    takes it with a write-off, otherwise it waits as a `remainder` exception on the payer's
    account."""
    allocations: Allocations = []
    unsettled: list[OpenItem] = []
    left = amount
    for item in items:
        if item.remaining <= left:
            allocations.append(Allocation(item.document_id, item.remaining))
            left -= item.remaining
        else:
            unsettled.append(item)
    if left == 0 or not unsettled:
        return _rest(amount, allocations, left, rules)
    for item in unsettled:
        if _forgiven(item, left, rules, reference_payment):
            allocations.append(_settle(item, left, rules, reference_payment))
            return Application(amount, tuple(allocations))
    return Application(amount, tuple(allocations), exception=left, reason=ExceptionReason.REMAINDER)


_STRATEGIES: dict[Strategy, Callable[[int, list[OpenItem], Rules, bool], Application]] = {
    Strategy.SINGLE_CHARGE: single_charge,
    Strategy.WHOLE_DOCUMENT: whole_document,
    Strategy.AS_MUCH_AS_POSSIBLE: as_much_as_possible,
    Strategy.WHOLE_DOCUMENTS_AS_POSSIBLE: whole_documents_as_possible,
}
