"""Recruitment gifts (SPEC §2.2 rule 39, *Hvervegave*)

Gift items per acquisition channel, a subscription's recruiter and gift item, the gifts due
when a recruit's first charge is paid, and the first result of zero-invoice requests.

Revision ID: 0006r
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006r"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "recruitment_gift_channels",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("gift_item_no", sa.Text(), nullable=True),
        sa.Column(
            "gift_to_new_member", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "code", name="pk_recruitment_gift_channels"),
    )
    op.create_table(
        "subscription_recruitments",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("recruited_by_member_id", sa.Uuid(), nullable=False),
        sa.Column("recruitment_gift_item", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index(
        "ix_subscription_recruitments_recruiter",
        "subscription_recruitments",
        ["tenant", "recruited_by_member_id"],
    )
    op.create_table(
        "recruitment_gifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_no", sa.BigInteger(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("acquisition_channel", sa.Text(), nullable=True),
        sa.Column("recruit_member_id", sa.Uuid(), nullable=False),
        sa.Column("recruiter_member_id", sa.Uuid(), nullable=False),
        sa.Column("gift_item_no", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("recipient_member_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("document_no", sa.Text(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("invoice_document_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_no", sa.Text(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_by", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.CheckConstraint(
            "recipient IN ('recruiter', 'recruit')", name="ck_recruitment_gifts_recipient"
        ),
        sa.CheckConstraint(
            "(invoice_document_id IS NULL) = (fulfilled_at IS NULL)",
            name="ck_recruitment_gifts_fulfilled",
        ),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["invoice_document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", name="uq_recruitment_gifts_subscription"),
    )
    op.create_index("ix_recruitment_gifts_paid_on", "recruitment_gifts", ["tenant", "paid_on"])
    op.create_table(
        "recruitment_gift_invoicings",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "idempotency_key", name="pk_recruitment_gift_invoicings"),
    )


def downgrade() -> None:
    op.drop_table("recruitment_gift_invoicings")
    op.drop_index("ix_recruitment_gifts_paid_on", table_name="recruitment_gifts")
    op.drop_table("recruitment_gifts")
    op.drop_index("ix_subscription_recruitments_recruiter", table_name="subscription_recruitments")
    op.drop_table("subscription_recruitments")
    op.drop_table("recruitment_gift_channels")
