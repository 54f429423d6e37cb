"""The members service's tables. Every row carries its tenant (a federation)."""

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

# Per-tenant options (SPEC §2.1: duplicate check, name propagation, default office, …).
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("duplicate_check", Boolean, nullable=False, server_default=text("true")),
    # none | first_secondary_to_primary | primary_to_secondaries (SPEC §2.1 rule 5)
    Column("name_propagation", Text, nullable=False, server_default=text("'none'")),
    Column("default_office_type", Text),
    Column("create_default_office", Boolean, nullable=False, server_default=text("false")),
    Column("assign_by_user", Boolean, nullable=False, server_default=text("true")),
    Column("assign_by_postcode", Boolean, nullable=False, server_default=text("true")),
    Column("assign_by_municipality", Boolean, nullable=False, server_default=text("true")),
    Column("default_country", Text, nullable=False, server_default=text("'DK'")),
    Column("currency", Text, nullable=False, server_default=text("'DKK'")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Reference tables per tenant: categories, statuses, leaving reasons, office types,
# organisation types, address types. `attributes` holds kind-specific options
# (an office type's priority, an address type's primary flag, a status's "active" meaning).
reference_codes = Table(
    "reference_codes",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    PrimaryKeyConstraint("tenant", "kind", "code", name="pk_reference_codes"),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("organisation_number", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_2", Text),
    Column("organisation_type", Text, nullable=False),
    Column("parent_id", Uuid, ForeignKey("organisations.id")),
    # "/<root id>/<child id>/…/<own id>/": subtree = path LIKE '<path>%'.
    Column("path", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("address", Text),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False, server_default=text("'DK'")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant", "organisation_number", name="uq_organisations_number"),
    Index("ix_organisations_path", "tenant", "path", postgresql_ops={"path": "text_pattern_ops"}),
)

# Geography an organisation covers: a member with this postcode or municipality is
# affiliated to it (SPEC §2.1 rule 7).
organisation_areas = Table(
    "organisation_areas",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("organisation_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("kind", Text, nullable=False),  # postcode | municipality
    Column("code", Text, nullable=False),
    PrimaryKeyConstraint("organisation_id", "kind", "code", name="pk_organisation_areas"),
    CheckConstraint("kind IN ('postcode', 'municipality')", name="ck_organisation_areas_kind"),
    Index("ix_organisation_areas_lookup", "tenant", "kind", "code"),
)

members = Table(
    "members",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_number", BigInteger, nullable=False),
    Column("external_id", Text),
    Column("party_kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_2", Text),
    Column("street_name", Text),
    Column("street_no", Text),
    Column("street_letter", Text),
    Column("floor", Text),
    Column("floor_side", Text),
    Column("address", Text),
    Column("address_2", Text),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False),
    Column("municipality_code", Text),
    Column("region_code", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("mobile", Text),
    Column("birth_date", Date),
    Column("birth_year", Integer),
    Column("gender", Text),
    Column("organisation_id", Uuid),
    Column("category", Text),
    Column("status", Text, nullable=False),
    Column("enrolment_date", Date, nullable=False),
    Column("leaving_reason", Text),
    Column("leaving_date", Date),
    Column("value_units", BigInteger),
    Column("gift_amount", BigInteger),
    Column("correspondence_channel", Text, nullable=False, server_default=text("'email'")),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column(
        "primary_member_id",
        Uuid,
        ForeignKey("members.id", name="fk_members_primary_member_id"),
    ),
    Column("address_sync_disabled", Boolean, nullable=False, server_default=text("false")),
    # Search keys kept by the service: normalised and phonetic forms of the name.
    Column("search_name", Text, nullable=False, server_default=text("''")),
    Column("phonetic_name", Text, nullable=False, server_default=text("''")),
    Column("erased_at", DateTime(timezone=True)),
    # The highest alternative-address number handed out: numbers are never reused, so a
    # subscription delivering to a removed address never silently follows a new one.
    Column("last_address_no", Integer, nullable=False, server_default=text("0")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default=text("''")),
    UniqueConstraint("tenant", "member_number", name="uq_members_tenant_number"),
    Index(
        "ix_members_external_id",
        "tenant",
        "external_id",
        unique=True,
        postgresql_where=text("external_id IS NOT NULL"),
    ),
    Index("ix_members_postcode", "tenant", "postcode"),
    Index("ix_members_email", "tenant", "email"),
    Index(
        "ix_members_search_trgm",
        "search_name",
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    ),
    Index("ix_members_phonetic", "tenant", "phonetic_name"),
    Index("ix_members_primary", "primary_member_id"),
    Index("ix_members_tags", "tags", postgresql_using="gin"),
)

# Every change to a member: who, when, which fields from what to what.
member_history = Table(
    "member_history",
    metadata,
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("tenant", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("changes", JSONB, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("changed_by", Text, nullable=False),
    PrimaryKeyConstraint("member_id", "version", name="pk_member_history"),
)

member_numbers = Table(
    "member_numbers",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

organisation_numbers = Table(
    "organisation_numbers",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

affiliations = Table(
    "affiliations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False),
    Column("organisation_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date),
    Column("source", Text, nullable=False),
    Column("derived_from", Uuid, ForeignKey("affiliations.id")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    CheckConstraint("to_date IS NULL OR to_date >= from_date", name="ck_affiliations_dates"),
    Index("ix_affiliations_member", "member_id"),
    Index("ix_affiliations_organisation", "organisation_id"),
)

offices = Table(
    "offices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False),
    Column("organisation_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("office_type", Text, nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date),
    Column("note", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    CheckConstraint("to_date IS NULL OR to_date >= from_date", name="ck_offices_dates"),
    Index("ix_offices_member", "member_id"),
    Index("ix_offices_organisation", "organisation_id"),
)

alternative_addresses = Table(
    "alternative_addresses",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_id", Uuid, ForeignKey("members.id"), nullable=False),
    # The address's number among the member's (from 1, never reused): what a subscription's
    # delivery address number points at in billing.
    Column("address_no", Integer, nullable=False),
    Column("address_type", Text, nullable=False),
    Column("name", Text),
    Column("name_2", Text),
    Column("address", Text, nullable=False),
    Column("address_2", Text),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("primary_from", Date),
    Column("promoted_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("member_id", "address_no", name="uq_alternative_addresses_member_no"),
    Index(
        "ix_alternative_addresses_due",
        "tenant",
        "primary_from",
        postgresql_where=text("promoted_at IS NULL AND primary_from IS NOT NULL"),
    ),
    Index("ix_alternative_addresses_member", "member_id"),
)

# Spelling equivalences for search and duplicate check (SPEC §2.1 rule 2), per tenant.
phonetic_equivalences = Table(
    "phonetic_equivalences",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("fragment", Text, nullable=False),
    Column("phonetic", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "fragment", "phonetic", name="pk_phonetic_equivalences"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("kind", Text, nullable=False),  # members | organisations
    Column("file_sha256", Text, nullable=False),
    Column("idempotency_key", Text),
    Column("status", Text, nullable=False),  # validating | importing | done | rejected | failed
    Column("total_rows", Integer, nullable=False, server_default=text("0")),
    Column("processed_rows", Integer, nullable=False, server_default=text("0")),
    Column("created_count", Integer, nullable=False, server_default=text("0")),
    Column("updated_count", Integer, nullable=False, server_default=text("0")),
    Column("unchanged_count", Integer, nullable=False, server_default=text("0")),
    Column("rejected_count", Integer, nullable=False, server_default=text("0")),
    Column("report", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("tenant", "idempotency_key", name="uq_imports_idempotency_key"),
)
