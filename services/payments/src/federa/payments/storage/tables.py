"""The payments service's tables.

Money columns are BIGINT minor units of the row's `currency`. `ledger_entries` is the
append-only ledger (migration 0002 refuses UPDATE and DELETE on it); every other money table
says where an amount went, the ledger says what it did to the receivables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from federa.shared.messaging.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

# Payments' own copy of the members, fed by members' events: payer resolution and
# balances read it, never a call to the members service.
members = Table(
    "members",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_number", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("organisation_id", Uuid),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Copy of the organisation tree (`members.organisation.*`): a caller acting for a branch sees
# the items of that branch and every organisation beneath it.
organisations = Table(
    "organisations",
    metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("ancestor_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("version", Integer, nullable=False),
)

# Copy of billing's payer accounts (`billing.payer_account.*`): payer numbers in files and a
# member's own payer for manual entries.
payer_accounts = Table(
    "payer_accounts",
    metadata,
    Column("payer_account_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("owner_member_id", Uuid),
    Column("name", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_payer_accounts_number", "tenant", "number"),
    Index("ix_payer_accounts_owner", "tenant", "owner_member_id"),
)

# Payments' own settings per payer: the matching mode (rule 2).
payer_settings = Table(
    "payer_settings",
    metadata,
    Column("payer_account_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("matching_mode", Text, nullable=False),
)

application_setups = Table(
    "application_setups",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("setup", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The open items: one per invoice or order (a draft is kept, not open, until it is posted).
receivables = Table(
    "receivables",
    metadata,
    Column("document_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    # invoice | order | draft_invoice
    Column("kind", Text, nullable=False),
    Column("document_no", Text, nullable=False),
    Column("payer_account_id", Uuid, nullable=False),
    Column("payer_number", BigInteger),
    Column("member_id", Uuid),
    Column("organisation_id", Uuid),
    Column("posting_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("payment_reference", Text, nullable=False),
    Column("posting_types", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("subscription_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    # draft | open | closed
    Column("status", Text, nullable=False),
    Column("closed_on", Date),
    Column("closed_how", Text),
    # The version of the events payments published about the item (receivable.closed...).
    Column("version", Integer, nullable=False),
    # The newest billing document event applied; an older one never overwrites it.
    Column("source_version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("remaining >= 0 AND remaining <= amount", name="ck_receivables_remaining"),
    Index("ix_receivables_reference", "tenant", "payment_reference"),
    Index("ix_receivables_document_no", "tenant", "document_no"),
    Index("ix_receivables_payer", "tenant", "payer_account_id", "status"),
    Index("ix_receivables_member", "tenant", "member_id"),
)

# The append-only ledger. `document` adds to what a payer owes; `application`, `writeoff`,
# `credit` and `cancellation` take from it; `gift`, `refund` and `credit_on_account` are the
# payment side. A reversal is a new entry with the opposite amount and `reverses` set.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", BigInteger, primary_key=True, autoincrement=True),
    Column("tenant", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("payer_account_id", Uuid),
    Column("document_id", Uuid),
    Column("payment_id", Uuid),
    Column("member_id", Uuid),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("entry_date", Date, nullable=False),
    Column("posting_type", Text),
    Column("reverses", BigInteger),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_ledger_payer", "tenant", "payer_account_id"),
    Index("ix_ledger_document", "document_id"),
    Index("ix_ledger_payment", "payment_id"),
)

payment_files = Table(
    "payment_files",
    metadata,
    Column("payment_file_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("file_sha256", Text, nullable=False),
    Column("idempotency_key", Text),
    # importing | done | failed
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("processed", Integer, nullable=False, server_default=text("0")),
    Column("amount", BigInteger, nullable=False),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("report", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # The file itself, so an import whose process died can be resumed by another.
    Column("content", LargeBinary, nullable=False),
    # Written with every chunk: an `importing` file without a recent one has lost its task.
    Column("heartbeat_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant", "file_sha256", name="uq_payment_files_sha256"),
    UniqueConstraint("tenant", "idempotency_key", name="uq_payment_files_idempotency_key"),
)

# Every column but the file itself: what reads of a file's status need.
PAYMENT_FILE_COLUMNS = tuple(c for c in payment_files.c if c.name != "content")

payment_batches = Table(
    "payment_batches",
    metadata,
    Column("batch_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    # manual | fundraising
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    # open | transferred
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("transferred_at", DateTime(timezone=True)),
    Column("transferred_by", Text),
)

payment_batch_lines = Table(
    "payment_batch_lines",
    metadata,
    Column("batch_id", Uuid, ForeignKey("payment_batches.batch_id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("member_id", Uuid),
    Column("payer_number", BigInteger),
    Column("invoice_no", Text),
    Column("payment_reference", Text),
    Column("amount", BigInteger, nullable=False),
    Column("posting_date", Date, nullable=False),
    Column("description", Text),
    Column("campaign", Text),
    Column("posting_type", Text),
    Column("payment_id", Uuid),
    PrimaryKeyConstraint("batch_id", "line_no", name="pk_payment_batch_lines"),
    CheckConstraint("amount > 0", name="ck_payment_batch_lines_amount"),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    # camt054 | camt053 | bgmax | manual | fundraising
    Column("source", Text, nullable=False),
    Column("payment_file_id", Uuid),
    Column("batch_id", Uuid),
    Column("entry_no", Integer),
    # The bank's own reference of the entry (AcctSvcrRef, BgMax's serial): a payment seen in
    # two files is imported once.
    Column("bank_reference", Text),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("value_date", Date, nullable=False),
    Column("booking_date", Date),
    Column("payment_reference", Text),
    Column("invoice_no", Text),
    Column("payer_number", BigInteger),
    Column("payer_account_id", Uuid),
    Column("member_id", Uuid),
    Column("matched_by", Text, nullable=False),
    Column("debtor_name", Text),
    Column("debtor_iban", Text),
    Column("description", Text),
    Column("fee", BigInteger, nullable=False, server_default=text("0")),
    # applied | partly_applied | exception | gift | refunded
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant", "bank_reference", name="uq_payments_bank_reference"),
    CheckConstraint("amount > 0", name="ck_payments_amount"),
    Index("ix_payments_file", "payment_file_id"),
    Index("ix_payments_payer", "tenant", "payer_account_id"),
)

payment_exceptions = Table(
    "payment_exceptions",
    metadata,
    Column("exception_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("payment_id", Uuid, nullable=False),
    Column("payer_account_id", Uuid),
    Column("reason", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    # open | resolved
    Column("status", Text, nullable=False),
    Column("action", Text),
    Column("resolution", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", Text),
    Column("version", Integer, nullable=False),
    CheckConstraint("amount > 0", name="ck_payment_exceptions_amount"),
    Index("ix_payment_exceptions_open", "tenant", "status"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("payment_id", Uuid, nullable=False),
    Column("exception_id", Uuid),
    Column("payer_account_id", Uuid),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("creditor_name", Text, nullable=False),
    Column("iban", Text, nullable=False),
    Column("bic", Text),
    Column("reason", Text, nullable=False),
    # pending | exported
    Column("status", Text, nullable=False),
    Column("export_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount > 0", name="ck_refunds_amount"),
    Index("ix_refunds_pending", "tenant", "status"),
)

refund_exports = Table(
    "refund_exports",
    metadata,
    Column("export_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("refunds", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("document", Text, nullable=False),
    Column("idempotency_key", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("tenant", "idempotency_key", name="uq_refund_exports_idempotency_key"),
)
