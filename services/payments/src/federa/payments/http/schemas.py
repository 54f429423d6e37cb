"""Request and response models of the `/v1` API. Money is integer minor units."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from federa.payments.domain.setup import MatchingMode

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OpenItemRead(Read):
    document_id: UUID
    kind: str
    document_no: str
    payer_account_id: UUID
    member_id: UUID | None
    organisation_id: UUID | None
    posting_date: date
    due_date: date
    currency: str
    amount: int
    remaining: int
    payment_reference: str
    posting_types: list[str]
    status: str
    closed_on: date | None
    closed_how: str | None


class LedgerEntryRead(Read):
    entry_id: int
    kind: str
    amount: int
    currency: str
    entry_date: date
    payment_id: UUID | None
    posting_type: str | None
    reverses: int | None
    note: str | None


class OpenItemDetail(OpenItemRead):
    entries: list[LedgerEntryRead]


class BalanceRead(BaseModel):
    key: UUID = Field(description="The payer account or the member.")
    currency: str
    open_amount: int
    overdue_amount: int
    open_items: int
    ageing: dict[str, int] = Field(description="Open amount by days past due: not_due, 1_30, …")
    unapplied: int = Field(description="Payer only: money waiting in exceptions or credits.")


class ReconciliationRead(BaseModel):
    balanced: bool
    payers: int
    documents: int
    applications: int
    writeoffs: int
    credits: int
    open_amount: int
    payer_mismatches: list[dict[str, Any]]
    payment_mismatches: list[dict[str, Any]]


class MatchingModeBody(BaseModel):
    matching_mode: MatchingMode


class FileRead(Read):
    payment_file_id: UUID
    format: str
    status: str
    file_sha256: str
    idempotency_key: str | None
    currency: str
    entries: int
    processed: int = Field(description="Entries applied so far; `entries` when done.")
    amount: int
    counts: dict[str, int]
    created_at: datetime
    created_by: str
    finished_at: datetime | None


class FileReport(FileRead):
    report: list[dict[str, Any]]


class PreviewRead(BaseModel):
    format: str
    currency: str
    entries: int
    amount: int
    fees: int
    counts: dict[str, int]
    skipped: list[dict[str, Any]]
    lines: list[dict[str, Any]]


class PaymentRead(Read):
    payment_id: UUID
    source: str
    payment_file_id: UUID | None
    batch_id: UUID | None
    entry_no: int | None
    bank_reference: str | None
    amount: int
    currency: str
    value_date: date
    payment_reference: str | None
    invoice_no: str | None
    payer_account_id: UUID | None
    member_id: UUID | None
    matched_by: str
    debtor_name: str | None
    description: str | None
    fee: int
    status: str


class ExceptionRead(Read):
    exception_id: UUID
    payment_id: UUID
    payer_account_id: UUID | None
    reason: str
    amount: int
    currency: str
    status: str
    action: str | None
    resolution: dict[str, Any] | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    source: str
    value_date: date
    payment_reference: str | None
    debtor_name: str | None
    description: str | None
    payment_amount: int


class ChosenItemBody(BaseModel):
    document_id: UUID
    amount: int = Field(gt=0)
    write_off_rest: bool = False


class ApplyBody(BaseModel):
    items: list[ChosenItemBody] = Field(min_length=1)
    rest: Literal["gift", "refund"] | None = None
    iban: str | None = None
    bic: str | None = None
    name: str | None = None


class RefundBody(BaseModel):
    iban: str | None = Field(
        default=None, description="Defaults to the payer's account in the file."
    )
    bic: str | None = None
    name: str | None = None


class MoveBody(BaseModel):
    payer_account_id: UUID


class BatchLineBody(BaseModel):
    amount: int = Field(description="Minor units; must be positive (checked per line).")
    posting_date: date
    member_id: UUID | None = None
    member_number: int | None = Field(
        default=None, description="Instead of member_id: the member's number."
    )
    payer_number: int | None = None
    invoice_no: str | None = None
    payment_reference: str | None = None
    description: str | None = Field(default=None, max_length=100)
    campaign: str | None = None
    posting_type: str | None = None


class BatchCreate(BaseModel):
    kind: Literal["manual", "fundraising"] = "manual"
    name: str = Field(min_length=1, max_length=50)
    lines: list[BatchLineBody] = Field(default_factory=list)


class BatchLinesBody(BaseModel):
    lines: list[BatchLineBody] = Field(min_length=1)


class BatchLineRead(BatchLineBody):
    line_no: int
    payment_id: UUID | None


class BatchRead(BaseModel):
    batch_id: UUID
    kind: str
    name: str
    status: str
    currency: str
    created_at: datetime
    created_by: str
    transferred_at: datetime | None
    lines: list[BatchLineRead]
    total: int


class TransferRead(BaseModel):
    batch_id: UUID
    counts: dict[str, int]
    lines: list[dict[str, Any]]


class RefundRead(Read):
    refund_id: UUID
    payment_id: UUID
    exception_id: UUID | None
    payer_account_id: UUID | None
    amount: int
    currency: str
    creditor_name: str
    iban: str
    reason: str
    status: str
    export_id: UUID | None
    created_at: datetime


class RefundExportRead(Read):
    export_id: UUID
    message_id: str
    refunds: int
    amount: int
    currency: str
    created_at: datetime | None = None
    created_by: str


class ReversalRead(BaseModel):
    payment_id: UUID
    exception_id: UUID
    amount: int = Field(description="The money that waits in the new `reversed` exception.")


class CloseBody(BaseModel):
    document_ids: list[UUID] = Field(default_factory=list, max_length=10_000)
    payer_account_id: UUID | None = None
    due_before: date | None = None


class ClosedRead(BaseModel):
    closed: int
    amount: int
