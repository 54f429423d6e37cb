"""The billing service's tables. Every row carries its tenant (a federation).

Money is integer minor units in the tenant's currency (`billing_settings.currency`); rates and
percentages are `Numeric`. Small value objects that belong to one catalogue row and are always
read and written with it (billing terms, period-start rules, age bands, lifecycle codes) are
JSONB on that row; everything dated or listed on its own has a table.
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
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
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

from federa.shared.messaging.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

# ---------------------------------------------------------------------------------------------
# Local copies of the members service's data, fed by its events: prices, payer addresses and
# scoping come from here, never from a call to the members service.

members = Table(
    "members",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_number", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("birth_date", Date),
    Column("postcode", Text),
    Column("country_code", Text, nullable=False),
    # The primary address: deliveries to address number 0 go here (SPEC §2.2 rule 11).
    Column("address", Text),
    Column("address_2", Text),
    Column("city", Text),
    # The household's primary member, for a secondary member (SPEC §2.1 *Household*).
    Column("primary_member_id", Uuid),
    Column("organisation_id", Uuid),
    # Every organisation the member is actively affiliated to, ancestors included.
    Column("organisation_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("status", Text, nullable=False),
    Column("value_units", BigInteger),
    Column("gift_amount", BigInteger),
    # The member's category from members' events; dues invoicing (rule 38) reads it as the
    # member's dues class (migration 0004).
    Column("category", Text),
    # Billing's own field: not in the member's events, so the copy's upsert never touches it.
    Column("default_payer_account_id", Uuid),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_members_tenant", "tenant", "member_number"),
    Index("ix_members_organisation_ids", "organisation_ids", postgresql_using="gin"),
)

# The organisation tree, from `members.organisation.*`: each organisation with its ancestors,
# so a caller's subtree is one array overlap.
organisations = Table(
    "organisations",
    metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("name", Text, nullable=False),
    # From the organisation's events (migration 0006g); the allocation grants' types (rule 41).
    Column("organisation_type", Text),
    Column("parent_id", Uuid),
    Column("ancestor_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_organisations_ancestors", "ancestor_ids", postgresql_using="gin"),
)

# ---------------------------------------------------------------------------------------------
# Tenant: settings, number sequences and reason codes.

billing_settings = Table(
    "billing_settings",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("currency", Text, nullable=False, server_default=text("'DKK'")),
    Column("default_product", Text),
    # SPEC §2.2 rule 1: no other product starts unless this one is active on the member.
    Column("prerequisite_product", Text),
    Column("default_stop_reason", Text, nullable=False, server_default=text("'STOP'")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Raised by every change: the aggregate version of `billing.settings.updated`.
    Column("version", Integer, nullable=False, server_default=text("1")),
)

# One gapless sequence per tenant and kind (SPEC §0 *Nummerserie*): subscriptions, payer
# accounts, and later orders, invoices and credit memos.
number_sequences = Table(
    "number_sequences",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("last_number", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "kind", name="pk_number_sequences"),
)

REASON_ACTIONS = (
    "start",
    "stop",
    "payer_to",
    "payer_from",
    "move_in",
    "move_out",
    "price_to",
    "price_from",
)

reason_codes = Table(
    "reason_codes",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("credit_on_stop", Boolean, nullable=False, server_default=text("false")),
    Column("stop_related", Boolean, nullable=False, server_default=text("false")),
    Column("new_member_status", Text),
    # Raised by every change: the aggregate version of `billing.reason_code.*`.
    Column("version", Integer, nullable=False, server_default=text("1")),
    PrimaryKeyConstraint("tenant", "code", name="pk_reason_codes"),
    CheckConstraint(
        "action IN (" + ", ".join(f"'{a}'" for a in REASON_ACTIONS) + ")",
        name="ck_reason_codes_action",
    ),
)

# ---------------------------------------------------------------------------------------------
# Catalogue (SPEC §2.2 *Entities and fields*).

products = Table(
    "products",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("description_2", Text),
    Column("default_price_code", Text),
    Column("default_start_rule", Text, nullable=False),
    # [{"first_start_month": 1, "registration_month_from": 10, "registration_month_to": 12}]
    Column("period_start_rules", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("collects_gift", Boolean, nullable=False, server_default=text("false")),
    Column("charges_postage", Boolean, nullable=False, server_default=text("false")),
    Column("default_billed_qty", Integer, nullable=False, server_default=text("1")),
    Column("default_delivered_qty", Integer, nullable=False, server_default=text("1")),
    Column("default_persons", Integer, nullable=False, server_default=text("1")),
    # The reason codes the product writes for moves, price and payer changes (*Forløbsstyring*).
    Column("lifecycle_codes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant", "code", name="uq_products_code"),
    # SPEC §5 row 2: product codes are at most 10 characters.
    CheckConstraint("char_length(code) BETWEEN 1 AND 10", name="ck_products_code_length"),
)

price_codes = Table(
    "price_codes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("external_description", Text, nullable=False, server_default=text("''")),
    Column("free", Boolean, nullable=False, server_default=text("false")),
    # Structured period expressions (SPEC §6.2): {"years": 1, "months": 0, "days": 0} or
    # {"until_year_end": true} for the running year (legacy `LÅ`).
    Column("first_term", JSONB, nullable=False),
    Column("subsequent_term", JSONB, nullable=False),
    Column("first_period_discount_pct", Numeric(5, 2), nullable=False, server_default=text("0")),
    Column("calculation", Text, nullable=False),
    Column("unit_value_price", Numeric),  # value bands only
    Column("billed_qty", Integer),  # NULL: the product's default
    Column("delivered_qty", Integer),
    Column("persons", Integer),
    Column("period_start_rules", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # [{"up_to_age": 25, "price_code": "YOUTH"}, {"up_to_age": null, "price_code": "ORD"}]
    Column("age_bands", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("age_reference", Text, nullable=False),
    Column("recalculate_start_on_payment", Boolean, nullable=False, server_default=text("false")),
    Column("sort_order", Integer, nullable=False, server_default=text("0")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant", "product", "code", name="uq_price_codes_code"),
    ForeignKeyConstraint(
        ["tenant", "product"],
        ["products.tenant", "products.code"],
        name="fk_price_codes_product",
    ),
    CheckConstraint(
        "calculation IN ('fixed', 'value_bands', 'payroll')", name="ck_price_codes_calculation"
    ),
)

# Dated prices: valid from `from_date` until the next one's (SPEC §2.2 rule 15), so the key
# refuses the only overlap there can be.
prices = Table(
    "prices",
    metadata,
    Column("price_code_id", Uuid, ForeignKey("price_codes.id"), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("price_code_id", "from_date", name="pk_prices"),
    CheckConstraint("amount >= 0", name="ck_prices_amount"),
)

value_bands = Table(
    "value_bands",
    metadata,
    Column("price_code_id", Uuid, ForeignKey("price_codes.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("max_value", Numeric),  # NULL: open (last band only)
    Column("net_price", BigInteger, nullable=False),
    PrimaryKeyConstraint("price_code_id", "position", name="pk_value_bands"),
)

# Payroll tables: the bands sharing a from-date form one table (SPEC §2.2 rule 18).
payroll_bands = Table(
    "payroll_bands",
    metadata,
    Column("price_code_id", Uuid, ForeignKey("price_codes.id"), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("min_value", BigInteger, nullable=False),
    Column("max_value", BigInteger),  # NULL: open (last band only)
    Column("price_per_unit", Numeric, nullable=False),
    Column("min_dues", BigInteger, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("price_code_id", "from_date", "min_value", name="pk_payroll_bands"),
)

product_periods = Table(
    "product_periods",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    PrimaryKeyConstraint("tenant", "product", "start_date", name="pk_product_periods"),
    ForeignKeyConstraint(
        ["tenant", "product"],
        ["products.tenant", "products.code"],
        name="fk_product_periods_product",
    ),
    CheckConstraint("end_date >= start_date", name="ck_product_periods_dates"),
)

# Products stopped together with a product (*Ydelser Restancestopstyring*).
related_stops = Table(
    "related_stops",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("related_product", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "product", "related_product", name="pk_related_stops"),
    ForeignKeyConstraint(
        ["tenant", "product"],
        ["products.tenant", "products.code"],
        name="fk_related_stops_product",
    ),
    ForeignKeyConstraint(
        ["tenant", "related_product"],
        ["products.tenant", "products.code"],
        name="fk_related_stops_related_product",
    ),
)

# The fixed part of a product's dues forwarded to a branch (SPEC §2.2 rule 34).
branch_shares = Table(
    "branch_shares",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("organisation_id", Uuid, nullable=False),
    Column("organisation_name", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", "product", "organisation_id", name="pk_branch_shares"),
    ForeignKeyConstraint(
        ["tenant", "product"],
        ["products.tenant", "products.code"],
        name="fk_branch_shares_product",
    ),
    CheckConstraint("amount >= 0", name="ck_branch_shares_amount"),
)

postage_prices = Table(
    "postage_prices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("country_code", Text, nullable=False),
    Column("postcode", Text),  # NULL: the whole country
    Column("from_date", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    UniqueConstraint(
        "tenant",
        "country_code",
        "postcode",
        "from_date",
        name="uq_postage_prices_validity",
        postgresql_nulls_not_distinct=True,
    ),
    CheckConstraint("amount >= 0", name="ck_postage_prices_amount"),
)

# ---------------------------------------------------------------------------------------------
# Payer accounts and subscriptions.

payer_accounts = Table(
    "payer_accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("number", BigInteger, nullable=False),
    # The member whose own account this is (created from `member.registered`); name and
    # address follow that member's events.
    Column("owner_member_id", Uuid),
    # Or the organisation whose own account this is (from `members.organisation.*`).
    Column("owner_organisation_id", Uuid),
    Column("name", Text, nullable=False),
    Column("name_2", Text),
    Column("address", Text),
    Column("address_2", Text),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False),
    Column("email", Text),
    # E-invoicing (rule 35b, migration 0006e): the public customer's GLN/EAN (13 digits, GS1
    # check digit) and its e-invoice payment method's code (`e_invoice_settings`).
    Column("gln", Text),
    Column("e_invoice_payment_method", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant", "number", name="uq_payer_accounts_number"),
    UniqueConstraint("tenant", "owner_member_id", name="uq_payer_accounts_owner"),
    UniqueConstraint(
        "tenant", "owner_organisation_id", name="uq_payer_accounts_owner_organisation"
    ),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("subscription_no", BigInteger, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("product", Text, nullable=False),
    # As of the latest command; future changes are only in the lifecycle entries.
    Column("price_code", Text, nullable=False),
    Column("payer_account_id", Uuid, ForeignKey("payer_accounts.id"), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("registration_date", Date, nullable=False),
    Column("to_date", Date),  # last covered day; NULL = running
    Column("stop_reason", Text),
    # The latest START entry's date (a restart writes one): with from/to it gives the status
    # on any day in SQL, which is never stored because it would go stale.
    Column("latest_start", Date, nullable=False),
    Column("billed_from", Date),
    Column("billed_through", Date),
    Column("billing_status", Text, nullable=False),
    Column("billed_qty", Integer, nullable=False),
    Column("delivered_qty", Integer, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("delivery_address_no", Integer, nullable=False),
    Column("organisation_id", Uuid),
    Column("collection_channel", Text, nullable=False),
    Column("acquisition_channel", Text),
    Column("campaign", Text),
    # The payer's own reference for its invoices (*Reference nr.*, e.g. a public customer's
    # order reference): the e-invoice's external document number (rule 35c, migration 0006e).
    Column("payer_reference", Text),
    # Deleted subscriptions (SPEC §2.2 rule 13) keep their row and lifecycle for the audit
    # trail; they are gone from every read.
    Column("deleted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    UniqueConstraint("tenant", "subscription_no", name="uq_subscriptions_number"),
    ForeignKeyConstraint(
        ["tenant", "product"],
        ["products.tenant", "products.code"],
        name="fk_subscriptions_product",
    ),
    Index("ix_subscriptions_member", "tenant", "member_id"),
    Index("ix_subscriptions_product", "tenant", "product"),
)

# Immutable, append-only (SPEC §1.2 *Ydelsesforløbspost*): migration 0002 adds a trigger that
# refuses UPDATE and DELETE. `position` keeps the order commands wrote entries in.
lifecycle_entries = Table(
    "lifecycle_entries",
    metadata,
    Column("subscription_id", Uuid, ForeignKey("subscriptions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("reason_code", Text, nullable=False),
    Column("effective", Date, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("to_date", Date),  # temporary moves: last day at the temporary address
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("recorded_by", Text, nullable=False),
    PrimaryKeyConstraint("subscription_id", "position", name="pk_lifecycle_entries"),
)

# ---------------------------------------------------------------------------------------------
# Migration 0003s: scheduled stops, mass payer changes, the members' alternative addresses.

# A subscription's latest stop dated in the future (SPEC §2.2 rule 8): `stop_scheduled` went
# out when it was recorded; the daily job publishes `stopped` on `stop_date` and stamps
# `published_at`. A restart, a delete or another stop removes or replaces a pending one.
scheduled_stops = Table(
    "scheduled_stops",
    metadata,
    Column("subscription_id", Uuid, ForeignKey("subscriptions.id"), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("stop_date", Date, nullable=False),
    Column("reason_code", Text, nullable=False),
    Column("credited", Boolean, nullable=False),
    Column("member_status_to_set", Text),
    Column("related_subscription_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("scheduled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Index(
        "ix_scheduled_stops_due",
        "stop_date",
        postgresql_where=text("published_at IS NULL"),
    ),
)

# The first result of a mass payer change per `Idempotency-Key`: a retry returns it.
mass_payer_changes = Table(
    "mass_payer_changes",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("payer_account_id", Uuid, nullable=False),
    Column("request", JSONB, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "idempotency_key", name="pk_mass_payer_changes"),
)

# Billing's copy of the members' alternative addresses (`members.alternative_address.*`):
# the address numbers a delivery can move to (SPEC §2.2 rule 11). Number 0 is the member's
# primary address (`members.address`). A removed address keeps its row as a tombstone
# (`removed` set) so a late `added` cannot bring it back.
member_addresses = Table(
    "member_addresses",
    metadata,
    Column("address_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("address_no", Integer, nullable=False),
    Column("address_type", Text, nullable=False),
    Column("name", Text),
    Column("name_2", Text),
    Column("address", Text),
    Column("address_2", Text),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False),
    Column("primary_from", Date),
    Column("removed", Boolean, nullable=False, server_default=text("false")),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_member_addresses_member", "tenant", "member_id", "address_no"),
)
