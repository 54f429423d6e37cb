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
    # Written off on the document by the same application (within the write-off limit or
    # the tolerance); `remaining` already excludes it.
    written_off: int = 0


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
    # paid | written_off | credited | cancelled (an order deleted or closed at zero)
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


class BankEntryTotalV1(EventData):
    """One balancing bank entry for the accounting system: the file's payments of one value
    date (SPEC §2.3 rule 21, "one bank entry per day")."""

    value_date: date
    payments: int
    amount: int
    fees: int = 0


class PaymentFileImportedV1(EventData):
    """A payment file (bank statement, notification, reference-payment file) was imported:
    one report per file. Counts are entries; amounts are minor units of `currency`."""

    payment_file_id: UUID
    # camt054 | camt053 | bgmax | ...
    format: str
    file_sha256: str
    currency: str
    entries: int
    amount: int
    matched: int = 0
    partly_matched: int = 0
    unmatched: int = 0
    exceptions: int = 0
    gifts: int = 0
    writeoffs: int = 0
    # Entries already imported from another file (same bank reference): skipped.
    duplicates: int = 0
    fees: int = 0
    # Per value date, for the accounting system's bank account (fees to the fee account).
    bank_entries: list[BankEntryTotalV1] = Field(default_factory=list)


class PaymentUnidentifiedV1(EventData):
    """A payment whose payer could not be found; it waits on the suspense payer (rule 1)."""

    payment_id: UUID
    exception_id: UUID
    source: str
    amount: int
    currency: str
    value_date: date
    payment_reference: str | None = None
    bank_reference: str | None = None
    debtor_name: str | None = None


class GiftRecordedV1(EventData):
    """An overpayment or a donation booked as a gift on the member (rules 7 and 12, F9)."""

    payment_id: UUID
    payer_account_id: UUID | None = None
    member_id: UUID | None = None
    amount: int
    currency: str
    posting_type: str
    recorded_on: date
    # overpayment | donation | exception_resolution
    origin: str = "overpayment"
    campaign: str | None = None


class WriteoffRecordedV1(EventData):
    """A shortfall on a document was written off (rule 8 limit, rule 10 tolerance, or a
    person's decision on an exception)."""

    document_id: UUID
    document_no: str | None = None
    payer_account_id: UUID
    member_id: UUID | None = None
    payment_id: UUID | None = None
    amount: int
    currency: str
    recorded_on: date
    # limit | tolerance | exception_resolution | closed_without_payment
    reason: str = "limit"


class ExceptionRaisedV1(EventData):
    """A deviant payment (or its rest) waits for a person: nothing of `amount` is posted until
    it is resolved."""

    exception_id: UUID
    payment_id: UUID
    payer_account_id: UUID | None = None
    # unknown_payer | no_document_named | partial_payment | overpayment | paid_twice |
    # remainder | nothing_open | reminder_fee_included
    reason: str
    amount: int
    currency: str


class ExceptionResolvedV1(EventData):
    """A person resolved an exception: applied it, refunded it, made it a gift or moved it."""

    exception_id: UUID
    payment_id: UUID
    # apply | refund | gift | move | reapply
    action: str
    amount: int
    currency: str
    payer_account_id: UUID | None = None
    resolved_by: str


class RefundIssuedV1(EventData):
    """Money of a payment is being paid back to the payer (an overpayment or a double
    payment); the bank transfer leaves in the next pain.001 export."""

    refund_id: UUID
    payment_id: UUID
    payer_account_id: UUID | None = None
    amount: int
    currency: str
    reason: str


PAYMENT_FILE_IMPORTED = event(
    "payments",
    "payment_file",
    "imported",
    1,
    PaymentFileImportedV1,
    "A payment file was imported, with its report: entries matched, partly matched, unmatched, "
    "exceptions, gifts, write-offs and fees.",
)
PAYMENT_UNIDENTIFIED = event(
    "payments",
    "payment",
    "unidentified",
    1,
    PaymentUnidentifiedV1,
    "A payment's payer could not be identified; it waits on the suspense payer.",
)
GIFT_RECORDED = event(
    "payments",
    "gift",
    "recorded",
    1,
    GiftRecordedV1,
    "An overpayment or a donation was booked as a gift, with its posting type and campaign.",
)
WRITEOFF_RECORDED = event(
    "payments",
    "writeoff",
    "recorded",
    1,
    WriteoffRecordedV1,
    "A shortfall on a document was written off.",
)
EXCEPTION_RAISED = event(
    "payments",
    "exception",
    "raised",
    1,
    ExceptionRaisedV1,
    "A deviant payment waits for a person (partial payment, overpayment, paid twice, unknown "
    "payer...).",
)
EXCEPTION_RESOLVED = event(
    "payments",
    "exception",
    "resolved",
    1,
    ExceptionResolvedV1,
    "A person resolved a deviant payment.",
)
REFUND_ISSUED = event(
    "payments",
    "refund",
    "issued",
    1,
    RefundIssuedV1,
    "Money of a payment is paid back to the payer.",
)
