"""Event archive and the read models: subscriptions, finance facts, copies, settings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEMBER_COLUMNS = (
    ("member_number", sa.BigInteger()),
    ("name", sa.Text()),
    ("organisation_ids", postgresql.ARRAY(sa.Uuid())),
    ("category", sa.Text()),
    ("gender", sa.Text()),
    ("birth_date", sa.Date()),
    ("birth_year", sa.Integer()),
    ("postcode", sa.Text()),
)


def upgrade() -> None:
    for name, type_ in _MEMBER_COLUMNS:
        op.add_column("members", sa.Column(name, type_))

    op.create_table(
        "event_archive",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Text(), nullable=False, unique=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text()),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("organisation_id", sa.Uuid()),
        sa.Column("payer_account_id", sa.Uuid()),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("envelope", postgresql.JSONB(), nullable=False),
    )
    op.create_index("ix_event_archive_tenant_time", "event_archive", ["tenant", "occurred_at"])
    op.create_index("ix_event_archive_subject", "event_archive",
                    ["tenant", "subject", "aggregate_version"])
    op.create_index("ix_event_archive_member", "event_archive", ["tenant", "member_id"])
    op.create_index("ix_event_archive_type", "event_archive", ["tenant", "event_type"])

    op.create_table(
        "organisations",
        sa.Column("organisation_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organisation_type", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Uuid()),
        sa.Column("ancestor_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_organisations_tenant", "organisations", ["tenant"])

    op.create_table(
        "payers",
        sa.Column("payer_account_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("owner_member_id", sa.Uuid()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )

    op.create_table(
        "price_codes",
        sa.Column("price_code_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("product_code", sa.Text(), nullable=False),
        sa.Column("price_code", sa.Text(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_price_codes_code", "price_codes", ["tenant", "product_code", "price_code"])

    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("subscription_no", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("payer_account_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid()),
        sa.Column("product_code", sa.Text(), nullable=False),
        sa.Column("price_code", sa.Text(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date()),
        sa.Column("stop_date", sa.Date()),
        sa.Column("stop_reason", sa.Text()),
        sa.Column("billed_through", sa.Date()),
        sa.Column("end_date", sa.Date()),
        sa.Column("monthly_revenue", sa.BigInteger(), nullable=False),
        sa.Column("commitment_months", sa.Integer(), nullable=False),
        sa.Column("charge_interval_months", sa.Integer(), nullable=False),
        sa.Column("delivered_qty", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_subscriptions_period", "subscriptions",
                    ["tenant", "from_date", "end_date"])
    op.create_index("ix_subscriptions_member_from", "subscriptions",
                    ["tenant", "member_id", "from_date"])
    op.create_index("ix_subscriptions_member_end", "subscriptions",
                    ["tenant", "member_id", "end_date"])

    op.create_table(
        "subscription_price_codes",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("price_code", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", "from_date",
                                name="pk_subscription_price_codes"),
    )

    op.create_table(
        "subscription_charges",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date()),
        sa.Column("period_to", sa.Date()),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "line_no", name="pk_subscription_charges"),
    )
    op.create_index("ix_subscription_charges_subscription_id", "subscription_charges",
                    ["subscription_id"])

    op.create_table(
        "documents",
        sa.Column("document_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text()),
        sa.Column("document_no", sa.Text()),
        sa.Column("invoice_no", sa.Text()),
        sa.Column("payer_account_id", sa.Uuid()),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("organisation_id", sa.Uuid()),
        sa.Column("posting_date", sa.Date()),
        sa.Column("due_date", sa.Date()),
        sa.Column("invoiced_on", sa.Date()),
        sa.Column("currency", sa.Text()),
        sa.Column("total_amount", sa.BigInteger()),
        sa.Column("cancelled_reason", sa.Text()),
        sa.Column("closed_on", sa.Date()),
        sa.Column("closed_how", sa.Text()),
    )
    op.create_index("ix_documents_invoiced", "documents", ["tenant", "invoiced_on"])
    op.create_index("ix_documents_posting", "documents", ["tenant", "posting_date"])

    op.create_table(
        "credit_memos",
        sa.Column("credit_memo_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("credited_document_id", sa.Uuid()),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("organisation_id", sa.Uuid()),
        sa.Column("posting_date", sa.Date(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_credit_memos_credited_document_id", "credit_memos",
                    ["credited_document_id"])

    op.create_table(
        "payments",
        sa.Column("payment_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("payer_account_id", sa.Uuid()),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_payments_value_date", "payments", ["tenant", "value_date"])

    op.create_table(
        "allocations",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "position", name="pk_allocations"),
    )
    op.create_index("ix_allocations_document_id", "allocations", ["document_id"])

    op.create_table(
        "product_settings",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("product_code", sa.Text(), nullable=False),
        sa.Column("grants_membership", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "product_code", name="pk_product_settings"),
    )
    op.create_table(
        "reason_settings",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=False),
        sa.Column("influenceable", sa.Boolean(), nullable=False,
                  server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("tenant", "reason_code", name="pk_reason_settings"),
    )


def downgrade() -> None:
    for table in (
        "reason_settings",
        "product_settings",
        "allocations",
        "payments",
        "credit_memos",
        "documents",
        "subscription_charges",
        "subscription_price_codes",
        "subscriptions",
        "price_codes",
        "payers",
        "organisations",
        "event_archive",
    ):
        op.drop_table(table)
    for name, _ in reversed(_MEMBER_COLUMNS):
        op.drop_column("members", name)
