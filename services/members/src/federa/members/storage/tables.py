"""The members service's tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)

from federa.shared.messaging.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

members = Table(
    "members",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_number", BigInteger, nullable=False),
    Column("party_kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text),
    Column("birth_date", Date),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False),
    Column("organisation_id", Uuid),
    Column("status", Text, nullable=False),
    Column("enrolment_date", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("tenant", "member_number", name="uq_members_tenant_number"),
)

# One row per tenant: the last member number handed out. Taken with a row lock, so numbers
# are unique and gapless per tenant (a rolled-back registration returns its number).
member_numbers = Table(
    "member_numbers",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)
