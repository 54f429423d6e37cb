"""Tables of revenue deferral, *Periodisering* (SPEC §2.2 rule 33), in billing's one MetaData
beside `documents_tables` (migration 0006d; it also adds `document_lines.deferral_account`).

The deferred lines themselves are `document_lines` with a `deferral_account`. What is here:
the tenant's fiscal year and deferral journal, the recognitions, their journal rows (per
fiscal period and account pair: what the ledger posts), and each line's recognised share per
fiscal period. `pk_deferral_shares` is the exactly-once guarantee: a line's share of a fiscal
period is recognised once, whatever is repeated or runs at the same time.
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

from federa.billing.storage.documents_tables import document_lines
from federa.billing.storage.tables import metadata

# The fiscal year (its first month; fiscal periods are its calendar months) and the journal
# the ledger posts recognitions through (*Periodiseringsfinanskladdetype/-navn*).
deferral_setup = Table(
    "deferral_setup",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("fiscal_year_first_month", Integer, nullable=False, server_default=text("1")),
    Column("journal_type", Text),
    Column("journal_name", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default=text("''")),
    CheckConstraint(
        "fiscal_year_first_month BETWEEN 1 AND 12", name="ck_deferral_setup_first_month"
    ),
)

# One recognition: every fiscal period after the tenant's previous one up to `through_period`
# (months are stored as their first day). `first_period` is NULL for the tenant's first.
deferral_recognitions = Table(
    "deferral_recognitions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("through_period", Date, nullable=False),
    Column("first_period", Date),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("shares", Integer, nullable=False),
    Column("idempotency_key", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("tenant", "through_period", name="uq_deferral_recognitions_period"),
    UniqueConstraint("tenant", "idempotency_key", name="uq_deferral_recognitions_key"),
    Index("ix_deferral_recognitions_tenant", "tenant", "created_at"),
)

# What a recognition moved per fiscal period it booked in and account pair (with dimensions):
# `amount` from `deferral_account` to `revenue_account`, negative the other way.
deferral_journal = Table(
    "deferral_journal",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("recognition_id", Uuid, ForeignKey("deferral_recognitions.id"), nullable=False),
    Column("tenant", Text, nullable=False),
    Column("fiscal_period", Date, nullable=False),
    Column("deferral_account", Text, nullable=False),
    Column("revenue_account", Text),
    Column("dimension_1", Text),
    Column("dimension_2", Text),
    Column("amount", BigInteger, nullable=False),
    Column("lines", Integer, nullable=False),
    UniqueConstraint(
        "recognition_id",
        "fiscal_period",
        "deferral_account",
        "revenue_account",
        "dimension_1",
        "dimension_2",
        name="uq_deferral_journal_pair",
        postgresql_nulls_not_distinct=True,
    ),
    Index("ix_deferral_journal_tenant", "tenant", "fiscal_period"),
)

# A line's share of one fiscal period (`fiscal_period`), booked in `booked_period` (later for
# a late document), signed like the journal. No foreign keys: a federation's first
# recognition writes millions of these with COPY, and only the recognition writes them.
deferral_shares = Table(
    "deferral_shares",
    metadata,
    Column("document_id", Uuid, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("fiscal_period", Date, nullable=False),
    Column("booked_period", Date, nullable=False),
    Column("recognition_id", Uuid, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("document_id", "line_no", "fiscal_period", name="pk_deferral_shares"),
    Index("ix_deferral_shares_recognition", "recognition_id"),
)

# The recognition reads only deferred lines, a small part of all lines.
Index(
    "ix_document_lines_deferred",
    document_lines.c.document_id,
    document_lines.c.line_no,
    postgresql_where=document_lines.c.deferral_account.is_not(None),
)
