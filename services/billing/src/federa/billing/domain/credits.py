"""What a credit memo credits, and what a subscription has billed afterwards (SPEC §2.2 rules
8, 14, 31 and 37). Pure: the transaction reads the credited document and the billing log,
these functions decide.

Decisions (README "Credits"):
- A credit copies the credited lines whole (amount, VAT, branch share, period): a credit memo
  of a line is never a recomputation, so an invoice and its credit always cancel exactly.
- A period is credited once. A subscription's lines on a document are creditable while its
  charge on that document is not marked credited in the billing log; lines without a
  subscription (dues) while no memo credits the document yet.
- A credited period counts as unbilled again when it was the subscription's latest: its
  billed range moves back to the charge before it (or to never billed, so the next charge is
  a first charge again), and the next run charges it anew (credit and run again corrects a
  wrong charge; a mass credit itself charges nothing, rule 37). An older period credited
  behind a standing later one is not charged again: billed periods stay one unbroken run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from federa.billing.domain.documents import DocumentDraft, DocumentKind, DocumentLine, due_date
from federa.billing.domain.periods import Period
from federa.billing.domain.subscription import BillingStatus, SubscriptionState
from federa.billing.domain.to_date_adjustment import ChargedDocument

# CreditMemoIssuedV1.reason
STOP = "stop"
LATEST_DOCUMENT = "latest_document"
MASS_CREDIT = "mass_credit"
DUES = "dues"


def creditable_lines(
    lines: Sequence[DocumentLine],
    *,
    uncredited: Collection[UUID],
    whole_document_open: bool,
    wanted: Callable[[DocumentLine], bool] = lambda _: True,
) -> list[DocumentLine]:
    """The lines a credit may still take: of subscriptions whose charge on the document is not
    credited yet (`uncredited`), and lines of no subscription while nothing credited the
    document; of those, the ones `wanted`."""
    return [
        line
        for line in lines
        if (
            line.subscription_id in uncredited
            if line.subscription_id is not None
            else whole_document_open
        )
        and wanted(line)
    ]


def credit_memo(
    document: ChargedDocument,
    lines: Sequence[DocumentLine],
    *,
    document_no: str,
    reason: str,
    posting_date: date,
    payment_terms_days: int,
    description: str | None = None,
    memo_id: UUID | None = None,
) -> DocumentDraft | None:
    """A credit memo of `lines` of `document` (copied whole, renumbered); None when there is
    nothing to credit. `description` replaces the lines' text (a mass credit's own)."""
    if not lines:
        return None
    copied = tuple(
        replace(
            line,
            line_no=number,
            description=description or line.description,
            rule=f"credit of line {line.line_no} of document {document_no} ({reason})",
        )
        for number, line in enumerate(lines, start=1)
    )
    return DocumentDraft(
        id=memo_id or uuid.uuid4(),
        kind=DocumentKind.CREDIT_MEMO,
        payer=document.payer,
        member=document.member,
        organisation=document.organisation,
        posting_date=posting_date,
        due_date=due_date(posting_date, payment_terms_days),
        lines=copied,
        credits=document.id,
        credit_reason=reason,
    )


@dataclass(frozen=True)
class LoggedCharge:
    """A billing log `charge` entry of one subscription."""

    period: Period
    credited: bool


@dataclass(frozen=True)
class BilledRange:
    """What a credit leaves billed: `changed` False when the latest charge stands; else
    `latest`, the new latest billed period (None: never billed)."""

    changed: bool
    latest: Period | None = None


def billed_range_after_credit(
    charges: Sequence[LoggedCharge], *, billed_through: date | None
) -> BilledRange:
    """Walking back from the latest charge, every credited one is unbilled again; the first
    one still standing is the new latest billed period."""
    ordered = sorted(charges, key=lambda c: c.period.start)
    if not ordered or not ordered[-1].credited or ordered[-1].period.end != billed_through:
        return BilledRange(changed=False)
    while ordered and ordered[-1].credited:
        ordered.pop()
    return BilledRange(changed=True, latest=ordered[-1].period if ordered else None)


def rewound(
    state: SubscriptionState,
    charges: Sequence[LoggedCharge],
    *,
    covered_through: date | None = None,
) -> SubscriptionState:
    """`state` with its billed range after a credit. `covered_through` (a stop's last covered
    day) keeps the days up to it billed: a stopped subscription is never charged again for a
    period whose credit the stop asked for (README "Credit on stop")."""
    after = billed_range_after_credit(charges, billed_through=state.billed_through)
    if not after.changed:
        return state
    latest = after.latest
    through = None if latest is None else latest.end
    start = None if latest is None else latest.start
    if covered_through is not None and (through is None or through < covered_through):
        holding = [
            c.period
            for c in charges
            if c.credited and c.period.start <= covered_through <= c.period.end
        ]
        if holding:
            start, through = holding[0].start, covered_through
    if through is None or start is None:
        return replace(
            state, billed_from=None, billed_through=None, billing_status=BillingStatus.NEW
        )
    return replace(state, billed_from=start, billed_through=through)
