"""Scheduled stops, organisation payer accounts, mass payer changes, the members' alternative
addresses and household link; versions on settings and reason codes for their events

A sibling of 0003 (billing runs and documents): both branch from 0002 and migrations upgrade
to every head.

Revision ID: 0003s
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003s"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("address", "address_2", "city"):
        op.add_column("members", sa.Column(column, sa.Text(), nullable=True))
    op.add_column("members", sa.Column("primary_member_id", sa.Uuid(), nullable=True))
    for table in ("billing_settings", "reason_codes"):
        op.add_column(
            table,
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        )
    op.add_column("payer_accounts", sa.Column("owner_organisation_id", sa.Uuid(), nullable=True))
    op.create_unique_constraint(
        "uq_payer_accounts_owner_organisation",
        "payer_accounts",
        ["tenant", "owner_organisation_id"],
    )
    op.create_table(
        "scheduled_stops",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("stop_date", sa.Date(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=False),
        sa.Column("credited", sa.Boolean(), nullable=False),
        sa.Column("member_status_to_set", sa.Text(), nullable=True),
        sa.Column(
            "related_subscription_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "scheduled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index(
        "ix_scheduled_stops_due",
        "scheduled_stops",
        ["stop_date"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "mass_payer_changes",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("payer_account_id", sa.Uuid(), nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "idempotency_key", name="pk_mass_payer_changes"),
    )
    op.create_table(
        "member_addresses",
        sa.Column("address_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("address_no", sa.Integer(), nullable=False),
        sa.Column("address_type", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("name_2", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("address_2", sa.Text(), nullable=True),
        sa.Column("postcode", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=False),
        sa.Column("primary_from", sa.Date(), nullable=True),
        sa.Column("removed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("address_id"),
    )
    op.create_index(
        "ix_member_addresses_member",
        "member_addresses",
        ["tenant", "member_id", "address_no"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_member_addresses_member", table_name="member_addresses")
    op.drop_table("member_addresses")
    op.drop_table("mass_payer_changes")
    op.drop_index(
        "ix_scheduled_stops_due",
        table_name="scheduled_stops",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("scheduled_stops")
    op.drop_constraint("uq_payer_accounts_owner_organisation", "payer_accounts", type_="unique")
    op.drop_column("payer_accounts", "owner_organisation_id")
    for table in ("reason_codes", "billing_settings"):
        op.drop_column(table, "version")
    op.drop_column("members", "primary_member_id")
    for column in ("city", "address_2", "address"):
        op.drop_column("members", column)
