"""Tables of credits, cancellations, dues, invoicing on start and branch settlements (SPEC §2.2
rules 6, 8, 14, 34, 36-38), in billing's one MetaData beside `documents_tables` (migration 0004).

Credit memos and dues invoices themselves are `documents`; what is here is what documents do
not hold: why an open order was cancelled, mass credits and their progress, dues classes and
which member was invoiced or credited dues on which day, the tenant's invoicing mode on start,
and the branch settlements with the document lines each one paid out. A document line is
settled at most once (`uq_settlement_lines_line`), which is what keeps an overlapping period
from paying a branch twice.
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
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

from federa.billing.storage.tables import metadata

CANCEL_REASONS = ("deleted", "closed_at_zero", "subscription_stopped")
START_MODES = ("none", "invoice", "draft_invoice", "order")
DUES_KINDS = ("invoice", "credit")
MASS_CREDIT_STATUSES = ("running", "completed")

# DocumentCancelledV1.reason, and the order issued for the lines that stayed (a stop removes
# one subscription's lines from an open order by cancelling it and issuing the rest anew).
document_cancellations = Table(
    "document_cancellations",
    metadata,
    Column("document_id", Uuid, ForeignKey("documents.id"), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("replaced_by_document_id", Uuid, ForeignKey("documents.id")),
    Column("cancelled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("cancelled_by", Text, nullable=False),
    CheckConstraint(
        "reason IN (" + ", ".join(f"'{r}'" for r in CANCEL_REASONS) + ")",
        name="ck_document_cancellations_reason",
    ),
)

# Rule 37: one mass credit, credited in batches; the counts are its progress.
mass_credits = Table(
    "mass_credits",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("posting_from", Date, nullable=False),
    Column("posting_to", Date, nullable=False),
    Column("document_date", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("documents_total", Integer, nullable=False),
    Column("documents_done", Integer, nullable=False),
    Column("credit_memos", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("idempotency_key", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("tenant", "idempotency_key", name="uq_mass_credits_idempotency_key"),
    Index("ix_mass_credits_tenant", "tenant", "created_at"),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in MASS_CREDIT_STATUSES) + ")",
        name="ck_mass_credits_status",
    ),
)

# Rule 34 / flow F12: one calculation per period; the same period again returns it.
settlement_batches = Table(
    "settlement_batches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("currency", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("tenant", "period_from", "period_to", name="uq_settlement_batches_period"),
    CheckConstraint("period_from <= period_to", name="ck_settlement_batches_period"),
)

# What the federation owes one organisation (branch) for the batch's period.
settlements = Table(
    "settlements",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("batch_id", Uuid, ForeignKey("settlement_batches.id"), nullable=False),
    Column("tenant", Text, nullable=False),
    Column("organisation_id", Uuid, nullable=False),
    Column("organisation_name", Text),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("currency", Text, nullable=False),
    # Branch shares of invoice lines less those of credit memo lines (negative if credits
    # outweigh what was invoiced).
    Column("amount", BigInteger, nullable=False),
    Column("documents", Integer, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("batch_id", "organisation_id", name="uq_settlements_organisation"),
    Index("ix_settlements_tenant", "tenant", "period_from", "organisation_id"),
)

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("settlement_id", Uuid, ForeignKey("settlements.id"), nullable=False),
    Column("document_id", Uuid, ForeignKey("documents.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("document_no", Text, nullable=False),
    Column("document_kind", Text, nullable=False),
    Column("posting_date", Date, nullable=False),
    # The line's branch share, negative for a credit memo's line.
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("settlement_id", "document_id", "line_no", name="pk_settlement_lines"),
    UniqueConstraint("document_id", "line_no", name="uq_settlement_lines_line"),
)

# Rule 6 (*Fakt. proces start ydelse*): what starting a subscription issues at once.
start_invoicing = Table(
    "start_invoicing",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("mode", Text, nullable=False, server_default=text("'none'")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "mode IN (" + ", ".join(f"'{m}'" for m in START_MODES) + ")",
        name="ck_start_invoicing_mode",
    ),
)

# Rule 38 (*Kontingentklasse*): simple dues for tenants without products.
dues_classes = Table(
    "dues_classes",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("account", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant", "code", name="pk_dues_classes"),
    CheckConstraint("amount >= 0", name="ck_dues_classes_amount"),
)

# One dues invoice (or credit) per member and posting date: a repeated run does nothing.
dues_charges = Table(
    "dues_charges",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("posting_date", Date, nullable=False),
    Column("dues_class", Text, nullable=False),
    Column("document_id", Uuid, ForeignKey("documents.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant", "member_id", "kind", "posting_date", name="pk_dues_charges"),
    CheckConstraint(
        "kind IN (" + ", ".join(f"'{k}'" for k in DUES_KINDS) + ")", name="ck_dues_charges_kind"
    ),
)
