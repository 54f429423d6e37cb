"""Rule 29, the to-date adjustment: a subscription whose to-date is earlier than its
billed-through date was charged for days it no longer covers; a run without a to-date filter
credits them (SPEC §5 row 12: billed through 31.12, stop 01.07 → credit 01.07-31.12).

Decision (how much is credited): each charged line of a period reaching past the to-date is
credited **pro rata by days**: amount x uncovered days / days of the line's period, rounded
once, half up; its VAT the same way (rate x credited amount), and the branch share with it.
Gift lines are not credited: a standing gift is a donation, not payment for coverage. Pro rata
by days is the one rule that needs nothing the SPEC does not give (a monthly or quarterly
price table for partial periods would), and it makes a credit of the whole period exactly the
charged amount. One credit memo per credited document, so `credits_document_id` names it; the
subscription's billed-through date then moves back to its to-date, which is what makes the
adjustment happen once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from uuid import UUID

from federa.billing.domain.documents import (
    DocumentDraft,
    DocumentKind,
    DocumentLine,
    due_date,
    vat_of,
)
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.money import format_money, round_half_up
from federa.billing.domain.periods import Period

CREDITED_KINDS = frozenset({"charge", "postage"})


def needs_credit(
    to_date: date | None, billed_through: date | None, *, to_date_filter: bool
) -> bool:
    """Rule 29: only when the run has no to-date filter (setting one is how staff avoid it)."""
    return (
        not to_date_filter
        and to_date is not None
        and billed_through is not None
        and to_date < billed_through
    )


def uncovered_part(period: Period, to_date: date) -> Period | None:
    """The days of `period` after the last covered day `to_date`, if any."""
    start = max(period.start, to_date + timedelta(days=1))
    return Period(start, period.end) if start <= period.end else None


def pro_rata(amount: int, period: Period, part: Period) -> int:
    return round_half_up(Fraction(amount) * part.days / period.days)


def credit_line(line: DocumentLine, to_date: date, line_no: int) -> DocumentLine | None:
    """The credit of `line`'s days after `to_date`; None when nothing of it is to credit."""
    if line.kind not in CREDITED_KINDS or line.period_from is None or line.period_to is None:
        return None
    period = Period(line.period_from, line.period_to)
    part = uncovered_part(period, to_date)
    if part is None or line.amount == 0:
        return None
    amount = pro_rata(line.amount, period, part)
    return replace(
        line,
        line_no=line_no,
        amount=amount,
        vat_amount=vat_of(amount, line.vat_rate),
        period_from=part.start,
        period_to=part.end,
        branch_share=pro_rata(line.branch_share, period, part),
        rule=(
            f"to-date {to_date}: {part.days}/{period.days} days of {format_money(line.amount)}"
            f" → {format_money(amount)} credited (rule 29)"
        ),
    )


@dataclass(frozen=True)
class ChargedDocument:
    """A document that charged a subscription, with its lines as stored."""

    id: UUID
    payer: PayerId
    member: MemberId | None
    organisation: OrganisationId | None
    lines: tuple[DocumentLine, ...]


def to_date_credit_memo(
    document: ChargedDocument,
    to_dates: Mapping[UUID, date],
    *,
    posting_date: date,
    payment_terms_days: int,
    memo_id: UUID | None = None,
) -> DocumentDraft | None:
    """The credit memo for `document`'s lines of the subscriptions in `to_dates` (subscription
    id → to-date) beyond their to-dates; None when there is nothing to credit."""
    lines: list[DocumentLine] = []
    for line in document.lines:
        if line.subscription_id is None or line.subscription_id not in to_dates:
            continue
        credited = credit_line(line, to_dates[line.subscription_id], len(lines) + 1)
        if credited is not None:
            lines.append(credited)
    if not lines:
        return None
    return DocumentDraft(
        id=memo_id or uuid.uuid4(),
        kind=DocumentKind.CREDIT_MEMO,
        payer=document.payer,
        member=document.member,
        organisation=document.organisation,
        posting_date=posting_date,
        due_date=due_date(posting_date, payment_terms_days),
        lines=tuple(lines),
        credits=document.id,
        credit_reason="to_date_adjustment",
    )


@dataclass(frozen=True)
class CreditedPeriod:
    """A billing log credit entry: one subscription's credited days on one memo."""

    subscription_id: UUID
    period: Period
    amount: int


def credited_periods(memo: DocumentDraft) -> list[CreditedPeriod]:
    found: dict[UUID, list[DocumentLine]] = {}
    for line in memo.lines:
        if line.subscription_id is not None:
            found.setdefault(line.subscription_id, []).append(line)
    return [
        CreditedPeriod(
            subscription_id,
            Period(
                min(line.period_from for line in lines if line.period_from is not None),
                max(line.period_to for line in lines if line.period_to is not None),
            ),
            sum(line.amount for line in lines),
        )
        for subscription_id, lines in found.items()
    ]


def credit_total(lines: Sequence[DocumentLine]) -> int:
    return sum(line.amount for line in lines)
