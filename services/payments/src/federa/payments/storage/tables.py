"""The payments service's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, Uuid, func

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
