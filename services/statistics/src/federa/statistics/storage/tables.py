"""The statistics service's read models. It owns no facts: every row comes from an event."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table, Text, Uuid, func

from federa.shared.messaging.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

members = Table(
    "members",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False, index=True),
    Column("organisation_id", Uuid),
    Column("status", Text, nullable=False),
    Column("enrolment_date", Date, nullable=False),
    # Known from member.registered only; a later event may arrive first.
    Column("registered_at", DateTime(timezone=True)),
    Column("leaving_reason", Text),
    Column("leaving_date", Date),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
