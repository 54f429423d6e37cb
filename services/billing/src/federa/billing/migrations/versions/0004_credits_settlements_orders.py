"""Credits, cancelled orders, mass credits, dues, invoicing on start and branch settlements; a
credited charge no longer blocks its period; the member copy keeps the category (dues class)

`billing_log`'s unique (subscription, kind, period start) becomes two partial unique indexes:
one standing (not credited) charge per subscription and period start, and one credit per
subscription, memo and period start. A period credited as the latest (credit latest, credit on
stop, a deleted order) is unbilled again and may be charged anew.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_billing_log_period", "billing_log", type_="unique")
    op.create_index(
        "uq_billing_log_charge",
        "billing_log",
        ["subscription_id", "period_from"],
        unique=True,
        postgresql_where=sa.text("entry_kind = 'charge' AND credited_by_document_id IS NULL"),
    )
    op.create_index(
        "uq_billing_log_credit",
        "billing_log",
        ["subscription_id", "document_id", "period_from"],
        unique=True,
        postgresql_where=sa.text("entry_kind = 'credit'"),
    )
    op.create_index("ix_billing_log_document", "billing_log", ["document_id"])
    op.add_column("members", sa.Column("category", sa.Text(), nullable=True))

    op.create_table(
        "document_cancellations",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("replaced_by_document_id", sa.Uuid(), nullable=True),
        sa.Column(
            "cancelled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("cancelled_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('deleted', 'closed_at_zero', 'subscription_stopped')",
            name="ck_document_cancellations_reason",
        ),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["replaced_by_document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_table(
        "mass_credits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("posting_from", sa.Date(), nullable=False),
        sa.Column("posting_to", sa.Date(), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("documents_total", sa.Integer(), nullable=False),
        sa.Column("documents_done", sa.Integer(), nullable=False),
        sa.Column("credit_memos", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('running', 'completed')", name="ck_mass_credits_status"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "idempotency_key", name="uq_mass_credits_idempotency_key"),
    )
    op.create_index("ix_mass_credits_tenant", "mass_credits", ["tenant", "created_at"])
    op.create_table(
        "settlement_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("period_from <= period_to", name="ck_settlement_batches_period"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "tenant", "period_from", "period_to", name="uq_settlement_batches_period"
        ),
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_name", sa.Text(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["batch_id"], ["settlement_batches.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "organisation_id", name="uq_settlements_organisation"),
    )
    op.create_index(
        "ix_settlements_tenant", "settlements", ["tenant", "period_from", "organisation_id"]
    )
    op.create_table(
        "settlement_lines",
        sa.Column("settlement_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("document_no", sa.Text(), nullable=False),
        sa.Column("document_kind", sa.Text(), nullable=False),
        sa.Column("posting_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"]),
        sa.PrimaryKeyConstraint(
            "settlement_id", "document_id", "line_no", name="pk_settlement_lines"
        ),
        sa.UniqueConstraint("document_id", "line_no", name="uq_settlement_lines_line"),
    )

    op.create_table(
        "start_invoicing",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), server_default=sa.text("'none'"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "mode IN ('none', 'invoice', 'draft_invoice', 'order')",
            name="ck_start_invoicing_mode",
        ),
        sa.PrimaryKeyConstraint("tenant"),
    )
    op.create_table(
        "dues_classes",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name="ck_dues_classes_amount"),
        sa.PrimaryKeyConstraint("tenant", "code", name="pk_dues_classes"),
    )
    op.create_table(
        "dues_charges",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("posting_date", sa.Date(), nullable=False),
        sa.Column("dues_class", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('invoice', 'credit')", name="ck_dues_charges_kind"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint(
            "tenant", "member_id", "kind", "posting_date", name="pk_dues_charges"
        ),
    )


def downgrade() -> None:
    op.drop_table("dues_charges")
    op.drop_table("dues_classes")
    op.drop_table("start_invoicing")
    op.drop_table("settlement_lines")
    op.drop_index("ix_settlements_tenant", table_name="settlements")
    op.drop_table("settlements")
    op.drop_table("settlement_batches")
    op.drop_index("ix_mass_credits_tenant", table_name="mass_credits")
    op.drop_table("mass_credits")
    op.drop_table("document_cancellations")
    op.drop_column("members", "category")
    op.drop_index("ix_billing_log_document", table_name="billing_log")
    op.drop_index("uq_billing_log_credit", table_name="billing_log")
    op.drop_index("uq_billing_log_charge", table_name="billing_log")
    op.create_unique_constraint(
        "uq_billing_log_period", "billing_log", ["subscription_id", "entry_kind", "period_from"]
    )
