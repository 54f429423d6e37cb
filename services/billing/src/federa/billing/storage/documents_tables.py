"""Tables of billing runs and documents (SPEC §2.2 rules 24-35), in billing's one MetaData.

Designed to take what comes next without a change: credit memos from the API and mass credits
are documents of kind `credit_memo` pointing at what they credit (`credits_document_id`);
order → invoice posting on payment updates an open order's `kind`, `status`, `invoice_no` and
`posted_from`, as draft posting does; branch settlements read `document_lines.branch_*`; a PDF
renders a document and its lines as stored. Posted documents and their lines are immutable in
the database (migration 0003 adds the triggers): corrections are credit memos.

Exactly once per subscription and period: `billing_log` has one `charge` row per subscription
and period start, written in the transaction that advances the subscription's
`billed_through` and stores the document.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from federa.billing.storage.tables import metadata

RUN_STATUSES = ("planned", "running", "completed", "failed", "cancelled")
CHUNK_STATUSES = ("queued", "done", "skipped")
DOCUMENT_KINDS = ("order", "draft_invoice", "invoice", "credit_memo")
# open: an order or draft that may still be posted or cancelled; posted: immutable.
DOCUMENT_STATUSES = ("open", "posted", "cancelled")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


# Per tenant: how a run turns charges into documents (SPEC §2.2 rules 27-28) and the terms and
# accounting its lines carry. Its own table, beside `billing_settings`, so document settings
# evolve with documents.
invoicing_settings = Table(
    "invoicing_settings",
    metadata,
    Column("tenant", Text, primary_key=True),
    # invoice | draft_invoice | order (rule 28)
    Column("invoicing_mode", Text, nullable=False, server_default=text("'invoice'")),
    # per_subscription | per_payer_member | per_payer (rule 27)
    Column("document_grouping", Text, nullable=False, server_default=text("'per_payer_member'")),
    Column("payment_terms_days", Integer, nullable=False, server_default=text("14")),
    # {"MEDLEM": {"vat_rate": "0", "posting_type": "DUES", "revenue_account": "3000",
    #             "dimension_1": null, "dimension_2": null}}; a product not listed has VAT 0.
    Column("product_accounting", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("gift_posting_type", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    _one_of("invoicing_mode", ("invoice", "draft_invoice", "order"), "ck_invoicing_settings_mode"),
    _one_of(
        "document_grouping",
        ("per_subscription", "per_payer_member", "per_payer"),
        "ck_invoicing_settings_grouping",
    ),
    CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="ck_invoicing_settings_terms"),
)

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("posting_date", Date, nullable=False),
    Column("bill_through_date", Date, nullable=False),
    # Rule 32: the filters as given (products, price_codes, organisations, members, to_date).
    Column("filters", JSONB, nullable=False),
    Column("stop_on_error", Boolean, nullable=False),
    Column("use_value_bands", Boolean, nullable=False),
    # The tenant's settings when the run was planned, so every chunk documents alike.
    Column("invoicing_mode", Text, nullable=False),
    Column("document_grouping", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("subscriptions_selected", Integer, nullable=False),
    Column("chunks_total", Integer, nullable=False),
    Column("idempotency_key", Text),
    Column("failure", Text),
    # The run's aggregate version: each of its events takes the next one under the row lock.
    Column("version", Integer, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("tenant", "idempotency_key", name="uq_billing_runs_idempotency_key"),
    Index("ix_billing_runs_tenant", "tenant", "created_at"),
    _one_of("status", RUN_STATUSES, "ck_billing_runs_status"),
)

# A chunk is one message on the work queue. Its counts are written in the transaction that
# processed it, so a run's totals are the sum over its chunks and no two workers ever update
# one counter row.
billing_run_chunks = Table(
    "billing_run_chunks",
    metadata,
    Column("run_id", Uuid, ForeignKey("billing_runs.id"), nullable=False),
    Column("chunk_no", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("subscription_ids", ARRAY(Uuid), nullable=False),
    # Set for chunks that re-run a run's failed subscriptions (retry-failed).
    Column("retry", Boolean, nullable=False, server_default=text("false")),
    Column("charged", Integer, nullable=False, server_default=text("0")),
    Column("free", Integer, nullable=False, server_default=text("0")),
    Column("failed", Integer, nullable=False, server_default=text("0")),
    # Selected but found not due any more (charged meanwhile by another run) or not processed.
    Column("skipped", Integer, nullable=False, server_default=text("0")),
    Column("credited", Integer, nullable=False, server_default=text("0")),
    Column("documents", Integer, nullable=False, server_default=text("0")),
    Column("credit_memos", Integer, nullable=False, server_default=text("0")),
    Column("lines", Integer, nullable=False, server_default=text("0")),
    Column("members", Integer, nullable=False, server_default=text("0")),
    Column("amount", BigInteger, nullable=False, server_default=text("0")),
    Column("credited_amount", BigInteger, nullable=False, server_default=text("0")),
    Column("processed_by", Text),
    Column("processed_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("run_id", "chunk_no", name="pk_billing_run_chunks"),
    _one_of("status", CHUNK_STATUSES, "ck_billing_run_chunks_status"),
)

# Rule 30: subscriptions a run could not charge, with the domain error's code and message.
billing_run_errors = Table(
    "billing_run_errors",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("run_id", Uuid, ForeignKey("billing_runs.id"), nullable=False),
    Column("chunk_no", Integer, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("subscription_id", Uuid, nullable=False),
    Column("subscription_no", BigInteger, nullable=False),
    Column("member_id", Uuid),
    Column("organisation_id", Uuid),
    Column("code", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Set when retry-failed queued the subscription again; the new outcome is a new row.
    Column("retried_at", DateTime(timezone=True)),
    Index("ix_billing_run_errors_run", "run_id", "id"),
)

# The billing test report (SPEC §2.5 item 6) and a real run's totals per organisation: one row
# per chunk and organisation, summed when read, so concurrent chunks never wait on each other.
billing_run_report = Table(
    "billing_run_report",
    metadata,
    Column("run_id", Uuid, ForeignKey("billing_runs.id"), nullable=False),
    Column("chunk_no", Integer, nullable=False),
    # The subscription's organisation (its branch); NULL for subscriptions without one.
    Column("organisation_id", Uuid),
    Column("subscriptions", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("vat_amount", BigInteger, nullable=False),
    Column("branch_share", BigInteger, nullable=False),
    Column("credited", Integer, nullable=False),
    Column("credited_amount", BigInteger, nullable=False),
    UniqueConstraint(
        "run_id",
        "chunk_no",
        "organisation_id",
        name="uq_billing_run_report",
        postgresql_nulls_not_distinct=True,
    ),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    # The sequence `number` was taken from (the kind it was issued as) and the number in it.
    Column("number_series", Text, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("document_no", Text, nullable=False),
    # The invoice number: the document's own for invoices, given on posting a draft or order.
    Column("invoice_no", Text),
    Column("posted_from", Text),  # draft_invoice | order, once posted
    Column("payer_account_id", Uuid, ForeignKey("payer_accounts.id"), nullable=False),
    Column("payer_number", BigInteger),
    # NULL when the tenant groups one document per payer across members; lines keep theirs.
    Column("member_id", Uuid),
    Column("organisation_id", Uuid),
    Column("billing_run_id", Uuid, ForeignKey("billing_runs.id")),
    Column("credits_document_id", Uuid, ForeignKey("documents.id")),
    # stop | latest_document | mass_credit | to_date_adjustment | dues (credit memos only)
    Column("credit_reason", Text),
    Column("posting_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    Column("currency", Text, nullable=False),
    # Minor units: net (ex VAT), VAT, total = net + VAT. Credit memos are positive too.
    Column("net_amount", BigInteger, nullable=False),
    Column("vat_amount", BigInteger, nullable=False),
    Column("total_amount", BigInteger, nullable=False),
    Column("payment_reference", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("tenant", "number_series", "number", name="uq_documents_number"),
    Index(
        "uq_documents_invoice_no",
        "tenant",
        "invoice_no",
        unique=True,
        postgresql_where=text("invoice_no IS NOT NULL"),
    ),
    Index("ix_documents_payer", "tenant", "payer_account_id"),
    Index("ix_documents_member", "tenant", "member_id"),
    Index("ix_documents_run", "billing_run_id"),
    Index("ix_documents_credits", "credits_document_id"),
    _one_of("kind", DOCUMENT_KINDS, "ck_documents_kind"),
    _one_of("status", DOCUMENT_STATUSES, "ck_documents_status"),
    CheckConstraint(
        "(kind = 'credit_memo') = (credit_reason IS NOT NULL)", name="ck_documents_credit_reason"
    ),
)

document_lines = Table(
    "document_lines",
    metadata,
    Column("document_id", Uuid, ForeignKey("documents.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    # charge | postage | gift | adjustment (DocumentLineV1.kind)
    Column("kind", Text, nullable=False),
    Column("subscription_id", Uuid),
    Column("subscription_no", BigInteger),
    Column("member_id", Uuid),
    Column("product_code", Text),
    Column("price_code", Text),
    Column("description", Text, nullable=False),
    # As the quote computed them: a payroll or value-band line has a fractional unit price.
    Column("quantity", Numeric, nullable=False),
    Column("unit_price", Numeric, nullable=False),
    Column("amount", BigInteger, nullable=False),  # ex VAT
    Column("vat_rate", Numeric(5, 2), nullable=False),
    Column("vat_amount", BigInteger, nullable=False),
    Column("posting_type", Text),
    Column("revenue_account", Text),
    Column("dimension_1", Text),
    Column("dimension_2", Text),
    Column("period_from", Date),
    Column("period_to", Date),
    Column("branch_organisation_id", Uuid),
    Column("branch_share", BigInteger, nullable=False, server_default=text("0")),
    # The quote's explanation of the amount, for staff reading the line later.
    Column("rule", Text),
    # Rule 33 (migration 0006d): the deferral account the amount sits on until recognised.
    Column("deferral_account", Text),
    PrimaryKeyConstraint("document_id", "line_no", name="pk_document_lines"),
    Index("ix_document_lines_subscription", "subscription_id"),
)

# SPEC §2.2 rule 31 (*Ydelseslinjeopkrævningslogpost*): per subscription and document, the
# period charged or credited. The unique key is the exactly-once guarantee of rule 24.
billing_log = Table(
    "billing_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("tenant", Text, nullable=False),
    Column("subscription_id", Uuid, ForeignKey("subscriptions.id"), nullable=False),
    Column("entry_kind", Text, nullable=False),  # charge | credit
    # NULL for a free price code's period: charged, with nothing to pay.
    Column("document_id", Uuid, ForeignKey("documents.id")),
    Column("billing_run_id", Uuid, ForeignKey("billing_runs.id")),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),  # ex VAT; credits positive
    Column("credited_by_document_id", Uuid, ForeignKey("documents.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Migration 0004: one *standing* charge per subscription and period start. A credited
    # charge (credit latest, credit on stop, a cancelled order) leaves its period unbilled
    # again, so the period may be charged anew; a memo credits a period once.
    Index(
        "uq_billing_log_charge",
        "subscription_id",
        "period_from",
        unique=True,
        postgresql_where=text("entry_kind = 'charge' AND credited_by_document_id IS NULL"),
    ),
    Index(
        "uq_billing_log_credit",
        "subscription_id",
        "document_id",
        "period_from",
        unique=True,
        postgresql_where=text("entry_kind = 'credit'"),
    ),
    Index("ix_billing_log_document", "document_id"),
    _one_of("entry_kind", ("charge", "credit"), "ck_billing_log_entry_kind"),
)
