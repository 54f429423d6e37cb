"""Events published by the payments service.

Money is integer minor units of the payment's currency. Applications are immutable: a reversal
is a new `payment.applied` with negative allocations, never an edit.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from federa.shared.contracts.registry import EventData, event


class ArrearsStopExecutedV1(EventData):
    """One member's part of an executed arrears-stop batch (SPEC §2.3 rule 16, flow F5).

    The posting options of the batch are repeated per member: each option is None (or False)
    when it was not selected.
    """

    arrears_stop_id: UUID
    member_id: UUID
    # The subscriptions stopped for this member; billing stops them and credits the charges.
    subscription_ids: list[UUID] = Field(default_factory=list)
    stop_reason_code: str | None = None
    # "change status" + status.
    member_status_to_set: str | None = None
    # "change leaving reason" + reason.
    leaving_reason: str | None = None
    # "change category" + category.
    member_category_to_set: str | None = None
    leaving_date: date | None = None
    stop_active_offices: bool = False
    stop_active_affiliations: bool = False


ARREARS_STOP_EXECUTED = event(
    "payments",
    "arrears_stop",
    "executed",
    1,
    ArrearsStopExecutedV1,
    "An arrears stop was executed for a member: billing stops the subscriptions, members "
    "applies the selected status, leaving reason, category and leaving date and ends offices "
    "and affiliations when asked.",
)


class PaymentReceivedV1(EventData):
    """A payment entered the ledger (bank file entry, manual batch line, fundraising)."""

    payment_id: UUID
    # camt054 | camt053 | bgmax | manual | fundraising | ...
    source: str
    payment_file_id: UUID | None = None
    amount: int
    currency: str
    value_date: date
    booking_date: date | None = None
    payment_reference: str | None = None
    # The payer it was resolved to; None while unidentified (suspense).
    payer_account_id: UUID | None = None
    bank_reference: str | None = None


class AllocationV1(EventData):
    """The part of a payment applied to one document (an invoice or an order)."""

    document_id: UUID
    document_no: str | None = None
    member_id: UUID | None = None
    subscription_ids: list[UUID] = Field(default_factory=list)
    amount: int
    # What remains open on the document after this allocation.
    remaining: int = 0


class PaymentAppliedV1(EventData):
    """A payment (or part of one) was applied to open items. Billing posts a paid order into
    an invoice and marks the subscriptions paid; statistics counts it as paid."""

    payment_id: UUID
    payer_account_id: UUID
    currency: str
    value_date: date
    # Sum of the allocations; gift and write-off are what the same payment left over or
    # forgave, so allocations + gift_amount (+ exception) = payment amount.
    amount: int
    allocations: list[AllocationV1] = Field(default_factory=list)
    gift_amount: int = 0
    writeoff_amount: int = 0
    # camt054 | manual | ... (the payment source).
    source: str | None = None


class ReceivableClosedV1(EventData):
    """An open item reached zero (paid, written off or credited)."""

    document_id: UUID
    document_no: str | None = None
    payer_account_id: UUID
    member_id: UUID | None = None
    closed_on: date
    # paid | written_off | credited
    how: str


PAYMENT_RECEIVED = event(
    "payments",
    "payment",
    "received",
    1,
    PaymentReceivedV1,
    "A payment entered the ledger from a bank file, a manual batch or a fundraising batch.",
)
PAYMENT_APPLIED = event(
    "payments",
    "payment",
    "applied",
    1,
    PaymentAppliedV1,
    "A payment was applied to open items, with the amount per document, and what was left as "
    "gift or written off.",
)
RECEIVABLE_CLOSED = event(
    "payments",
    "receivable",
    "closed",
    1,
    ReceivableClosedV1,
    "An open item was settled in full (paid, written off or credited).",
)
