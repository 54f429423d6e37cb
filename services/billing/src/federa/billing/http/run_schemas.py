"""Request and response models of billing runs, documents and invoicing settings. Money is
integer minor units of the tenant's currency; rates are decimal strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from federa.billing.http.catalogue_schemas import Body
from federa.billing.runs.planning import DEFAULT_CHUNK_SIZE


class RunFiltersBody(Body):
    products: list[str] = Field(default_factory=list)
    price_codes: list[str] = Field(default_factory=list)
    organisations: list[UUID] = Field(
        default_factory=list, description="Each with every organisation beneath it"
    )
    members: list[UUID] = Field(default_factory=list)
    to_date: Literal["blank", "set"] | None = Field(
        default=None,
        description="blank: only subscriptions without a to-date (no to-date credits, rule 29)",
    )


class RunCreate(Body):
    """`RunBilling` (SPEC §2.2 rules 24-32)."""

    posting_date: date
    bill_through_date: date
    filters: RunFiltersBody = Field(default_factory=RunFiltersBody)
    stop_on_error: bool = False
    dry_run: bool = False
    use_value_bands: bool = True
    chunk_size: int = Field(default=DEFAULT_CHUNK_SIZE, ge=1, le=5000)


class Totals(BaseModel):
    charged: int
    free: int
    failed: int
    skipped: int
    credited: int
    documents: int
    credit_memos: int
    lines: int
    members: int
    amount: int
    credited_amount: int


class ChunkRead(Totals):
    chunk_no: int
    status: str
    subscriptions: int
    retry: bool
    processed_by: str | None
    processed_at: datetime | None


class RunRead(BaseModel):
    id: UUID
    status: str
    dry_run: bool
    posting_date: date
    bill_through_date: date
    filters: dict[str, object]
    stop_on_error: bool
    use_value_bands: bool
    invoicing_mode: str
    document_grouping: str
    currency: str
    subscriptions_selected: int
    chunks_total: int
    chunks_done: int
    chunks_skipped: int
    chunks_queued: int
    failure: str | None
    totals: Totals
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    chunks: list[ChunkRead] | None = None


class RunPage(BaseModel):
    items: list[RunRead]
    total: int
    limit: int
    offset: int


class RunErrorRead(BaseModel):
    id: int
    chunk_no: int
    subscription_id: UUID
    subscription_no: int
    member_id: UUID | None
    organisation_id: UUID | None
    code: str
    message: str
    created_at: datetime
    retried_at: datetime | None


class RunErrorPage(BaseModel):
    items: list[RunErrorRead]
    total: int
    limit: int
    offset: int


class ReportRow(BaseModel):
    organisation_id: UUID | None
    organisation_name: str | None
    subscriptions: int
    failed: int
    lines: int
    amount: int
    vat_amount: int
    branch_share: int
    credited: int
    credited_amount: int


class RunReport(BaseModel):
    """The billing test report (SPEC §2.5 item 6), per organisation; a dry run's is what a
    real run would charge."""

    billing_run_id: UUID
    dry_run: bool
    status: str
    currency: str
    organisations: list[ReportRow]
    totals: ReportRow


class DocumentLineRead(BaseModel):
    line_no: int
    kind: str
    subscription_id: UUID | None
    subscription_no: int | None
    member_id: UUID | None
    product_code: str | None
    price_code: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: int
    vat_rate: Decimal
    vat_amount: int
    posting_type: str | None
    revenue_account: str | None
    dimension_1: str | None
    dimension_2: str | None
    period_from: date | None
    period_to: date | None
    branch_organisation_id: UUID | None
    branch_share: int
    rule: str | None
    deferral_account: str | None = None  # rule 33


class DocumentRead(BaseModel):
    id: UUID
    kind: str
    status: str
    document_no: str
    invoice_no: str | None
    posted_from: str | None
    payer_account_id: UUID
    payer_number: int | None
    member_id: UUID | None
    organisation_id: UUID | None
    billing_run_id: UUID | None
    credits_document_id: UUID | None
    credit_reason: str | None
    posting_date: date
    due_date: date
    posted_at: datetime | None
    currency: str
    net_amount: int
    vat_amount: int
    total_amount: int
    payment_reference: str
    created_at: datetime
    lines: list[DocumentLineRead] | None = None
    # Rule 35: the e-invoice fields (GLN/EAN customers, or a manual external document number);
    # only on one document (`GET /documents/{id}`), never in a page.
    e_invoice: EInvoiceRead | None = None


class EInvoiceRead(BaseModel):
    gln: str | None
    endpoint_scheme: str
    country_code: str | None
    currency_code: str | None
    unit_code: str | None
    payment_method: str | None
    payment_channel: str | None
    external_document_no: str | None
    # Required fields still blank: posting is refused while any is (an e-invoice document).
    missing_fields: list[str] = Field(default_factory=list)


class DocumentPage(BaseModel):
    items: list[DocumentRead]
    total: int
    limit: int
    offset: int


class ProductAccountingBody(Body):
    vat_rate: Decimal = Field(default=Decimal(0), ge=0, le=100)
    posting_type: str | None = None
    revenue_account: str | None = None
    dimension_1: str | None = None
    dimension_2: str | None = None
    # Rule 33: omitted, the schedule is per_fiscal_period when a deferral account is set;
    # a schedule without an account (or without a revenue account) is 422 invalid-deferral.
    deferral_account: str | None = None
    postage_deferral_account: str | None = None
    deferral_schedule: Literal["none", "per_fiscal_period"] | None = None


class InvoicingSettingsBody(Body):
    """Rule 27 (grouping) and 28 (mode), payment terms, and per product its VAT rate (default
    0: dues are VAT-exempt) and accounts."""

    invoicing_mode: Literal["invoice", "draft_invoice", "order"] = "invoice"
    document_grouping: Literal["per_subscription", "per_payer_member", "per_payer"] = (
        "per_payer_member"
    )
    payment_terms_days: int = Field(default=14, ge=0, le=365)
    product_accounting: dict[str, ProductAccountingBody] = Field(default_factory=dict)
    gift_posting_type: str | None = None
