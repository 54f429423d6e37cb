"""The communications service's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, Uuid, func

from federa.shared.messaging.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

# Communications' own copy of the members' contact data, fed by members' events;
# mailings are addressed from it, never by calling the members service.
members = Table(
    "members",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("member_number", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text),
    Column("postcode", Text),
    Column("city", Text),
    Column("country_code", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
