"""Tables of allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*), in
billing's one MetaData (migration 0006g).

The tenant's grant rules (one row, versioned, every version kept in `…_revisions` as the audit
trail), each organisation's area (billing-owned: the members service does not know it), and the
grant batches: one per tenant and reference date, with one grant per organisation of type 1 or
2, each saying how many members it counted and which rule decided its amount. The
organisation's type itself is on billing's `organisations` copy (`organisation_type`).
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

GRANT_AMOUNT_COLUMNS = (
    "base_amount_large_type1",
    "amount_per_member",
    "base_amount_small_type1",
    "amount_type2",
    "amount_per_type1_org",
    "amount_per_km2",
)
BATCH_STATUSES = ("calculated", "approved")

# The *Rådighedsberegningsopsætning*: blank (NULL) is "not filled in", which the rule treats
# differently from 0 (a blank parameter falls through to the next rule).
allocation_grant_rules = Table(
    "allocation_grant_rules",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("org_type_1", Text),
    Column("org_type_2", Text),
    Column("min_members", Integer),
    *(Column(name, BigInteger) for name in GRANT_AMOUNT_COLUMNS),
    # Which member statuses count as members (the members service's status codes).
    Column(
        "member_statuses", ARRAY(Text), nullable=False, server_default=text("'{active}'::text[]")
    ),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    CheckConstraint("min_members IS NULL OR min_members >= 1", name="ck_grant_rules_min_members"),
    *(
        CheckConstraint(f"{name} IS NULL OR {name} >= 0", name=f"ck_grant_rules_{name}")
        for name in GRANT_AMOUNT_COLUMNS
    ),
)

# Every version of the rules, whole, with who changed what: the audit trail; never updated.
allocation_grant_rule_revisions = Table(
    "allocation_grant_rule_revisions",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("rules", JSONB, nullable=False),
    Column("changed_fields", ARRAY(Text), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("changed_by", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "version", name="pk_allocation_grant_rule_revisions"),
)

# Billing-owned facts of an organisation the grant rules need (the area for per-km² grants).
organisation_grant_profiles = Table(
    "organisation_grant_profiles",
    metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("area_km2", Numeric(14, 3)),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    CheckConstraint("area_km2 IS NULL OR area_km2 >= 0", name="ck_grant_profiles_area"),
)

# One calculation per tenant and reference date; approving it publishes its grants.
allocation_grant_batches = Table(
    "allocation_grant_batches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("reference_date", Date, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'calculated'")),
    # The rules the batch was calculated with, whole, and their version.
    Column("rules", JSONB, nullable=False),
    Column("rules_version", Integer, nullable=False),
    Column("idempotency_key", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", Text),
    UniqueConstraint("tenant", "reference_date", name="uq_allocation_grant_batches_date"),
    UniqueConstraint("tenant", "idempotency_key", name="uq_allocation_grant_batches_key"),
    CheckConstraint(
        "status IN ('calculated', 'approved')", name="ck_allocation_grant_batches_status"
    ),
)

allocation_grants = Table(
    "allocation_grants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "batch_id",
        Uuid,
        ForeignKey("allocation_grant_batches.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tenant", Text, nullable=False),
    Column("organisation_id", Uuid, nullable=False),
    Column("organisation_name", Text),
    Column("organisation_type", Text, nullable=False),
    Column("type_no", Integer, nullable=False),
    Column("reference_date", Date, nullable=False),
    Column("members", Integer, nullable=False),
    Column("area_km2", Numeric(14, 3)),
    # large_type1 | small_type1 | type2 | per_type1_organisation | per_km2 | none
    Column("rule", Text, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("batch_id", "organisation_id", name="uq_allocation_grants_organisation"),
    CheckConstraint("amount >= 0", name="ck_allocation_grants_amount"),
    CheckConstraint("type_no IN (1, 2)", name="ck_allocation_grants_type_no"),
    Index("ix_allocation_grants_tenant", "tenant", "reference_date", "organisation_id"),
)
