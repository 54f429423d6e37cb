"""The statistics service's tables. It owns no facts: every row comes from an event.

`event_archive` keeps every consumed envelope as it came; everything else is a read model that
`federa.statistics.rebuild` can truncate and build again from the archive. The two settings
tables (`product_settings`, `reason_settings`) are the only data entered here, and a rebuild
keeps them. Money is integer minor units.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from federa.shared.messaging.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

# ---------------------------------------------------------------------------------------------
# The archive: every envelope, in arrival order. It feeds the event log and the rebuild.

event_archive = Table(
    "event_archive",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("tenant", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("subject", Text),
    Column("aggregate_version", Integer, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Extracted for the log's filters; the envelope stays the source.
    Column("member_id", Uuid),
    Column("organisation_id", Uuid),
    Column("payer_account_id", Uuid),
    Column("outcome", Text, nullable=False),
    Column("envelope", JSONB, nullable=False),
    Index("ix_event_archive_tenant_time", "tenant", "occurred_at"),
    Index("ix_event_archive_subject", "tenant", "subject", "aggregate_version"),
    Index("ix_event_archive_member", "tenant", "member_id"),
    Index("ix_event_archive_type", "tenant", "event_type"),
)

# ---------------------------------------------------------------------------------------------
# Copies of other services' aggregates, order-safe by aggregate version.

members = Table(
    "members",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False, index=True),
    Column("member_number", BigInteger),
    # Shown in the event log and the age list; scrubbed on member.erased.
    Column("name", Text),
    Column("organisation_id", Uuid),
    Column("organisation_ids", ARRAY(Uuid)),
    Column("status", Text, nullable=False),
    Column("category", Text),
    Column("gender", Text),
    Column("birth_date", Date),
    Column("birth_year", Integer),
    Column("postcode", Text),
    Column("enrolment_date", Date, nullable=False),
    # Known from member.registered only; a later event may arrive first.
    Column("registered_at", DateTime(timezone=True)),
    Column("leaving_reason", Text),
    Column("leaving_date", Date),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

organisations = Table(
    "organisations",
    metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("organisation_type", Text, nullable=False),
    Column("parent_id", Uuid),
    # Root first, the organisation itself excluded.
    Column("ancestor_ids", ARRAY(Uuid), nullable=False),
    Column("version", Integer, nullable=False),
)

payers = Table(
    "payers",
    metadata,
    Column("payer_account_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("owner_member_id", Uuid),
    Column("name", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

price_codes = Table(
    "price_codes",
    metadata,
    Column("price_code_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("product_code", Text, nullable=False),
    Column("price_code", Text, nullable=False),
    # The subsequent billing term in months (the running year counts as 12).
    Column("term_months", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_price_codes_code", "tenant", "product_code", "price_code"),
)

# ---------------------------------------------------------------------------------------------
# Subscription facts: a row is the fold of the subscription's archived events plus what its
# document lines say (billed-through, monthly revenue). Deleted subscriptions have no row.

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("subscription_no", BigInteger, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("payer_account_id", Uuid, nullable=False),
    Column("organisation_id", Uuid),
    Column("product_code", Text, nullable=False),
    Column("price_code", Text, nullable=False),
    Column("from_date", Date, nullable=False),
    # Committed-through (the START's to_date); None = running, renews by itself.
    Column("to_date", Date),
    Column("stop_date", Date),
    Column("stop_reason", Text),
    Column("billed_through", Date),
    # None while running; otherwise the later of billed-through and committed-through.
    Column("end_date", Date),
    Column("monthly_revenue", BigInteger, nullable=False),
    Column("commitment_months", Integer, nullable=False),
    Column("charge_interval_months", Integer, nullable=False),
    Column("delivered_qty", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_subscriptions_period", "tenant", "from_date", "end_date"),
    Index("ix_subscriptions_member_from", "tenant", "member_id", "from_date"),
    Index("ix_subscriptions_member_end", "tenant", "member_id", "end_date"),
)

# Which price code prices the subscription from which day (from the fold), for as-of figures.
subscription_price_codes = Table(
    "subscription_price_codes",
    metadata,
    Column("subscription_id", Uuid, nullable=False),
    Column("from_date", Date, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("price_code", Text, nullable=False),
    PrimaryKeyConstraint("subscription_id", "from_date", name="pk_subscription_price_codes"),
)

# One row per document line (or credit memo line) that names a subscription.
subscription_charges = Table(
    "subscription_charges",
    metadata,
    Column("source_id", Uuid, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("subscription_id", Uuid, nullable=False, index=True),
    # charge (invoice, draft, order) | credit (credit memo)
    Column("kind", Text, nullable=False),
    Column("period_from", Date),
    Column("period_to", Date),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("source_id", "line_no", name="pk_subscription_charges"),
)

# ---------------------------------------------------------------------------------------------
# Finance facts. Each event writes only the columns it knows, so arrival order does not matter.

documents = Table(
    "documents",
    metadata,
    Column("document_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    # invoice | draft_invoice | order, as issued
    Column("kind", Text),
    Column("document_no", Text),
    Column("invoice_no", Text),
    Column("payer_account_id", Uuid),
    Column("member_id", Uuid),
    Column("organisation_id", Uuid),
    Column("posting_date", Date),
    Column("due_date", Date),
    # The day it became an invoice: issued as one, or posted from a draft or an order.
    Column("invoiced_on", Date),
    Column("currency", Text),
    Column("total_amount", BigInteger),
    Column("cancelled_reason", Text),
    Column("closed_on", Date),
    Column("closed_how", Text),
    Index("ix_documents_invoiced", "tenant", "invoiced_on"),
    Index("ix_documents_posting", "tenant", "posting_date"),
)

credit_memos = Table(
    "credit_memos",
    metadata,
    Column("credit_memo_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("credited_document_id", Uuid, index=True),
    Column("member_id", Uuid),
    Column("organisation_id", Uuid),
    Column("posting_date", Date, nullable=False),
    Column("total_amount", BigInteger, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("value_date", Date, nullable=False),
    Column("payer_account_id", Uuid),
    Column("source", Text, nullable=False),
    Index("ix_payments_value_date", "tenant", "value_date"),
)

# One row per allocation of a `payment.applied` (a reversal is another event, negative).
allocations = Table(
    "allocations",
    metadata,
    Column("event_id", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("payment_id", Uuid, nullable=False),
    Column("document_id", Uuid, nullable=False, index=True),
    Column("value_date", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("event_id", "position", name="pk_allocations"),
)

# ---------------------------------------------------------------------------------------------
# Settings entered in statistics itself (not from events; a rebuild keeps them).

product_settings = Table(
    "product_settings",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("product_code", Text, nullable=False),
    Column("grants_membership", Boolean, nullable=False),
    PrimaryKeyConstraint("tenant", "product_code", name="pk_product_settings"),
)

reason_settings = Table(
    "reason_settings",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("reason_code", Text, nullable=False),
    Column("influenceable", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("tenant", "reason_code", name="pk_reason_settings"),
)

# Everything a rebuild empties and fills again from the archive.
READ_MODELS = (
    members,
    organisations,
    payers,
    price_codes,
    subscriptions,
    subscription_price_codes,
    subscription_charges,
    documents,
    credit_memos,
    payments,
    allocations,
)
