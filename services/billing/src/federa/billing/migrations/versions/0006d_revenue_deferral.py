"""Revenue deferral, *Periodisering* (SPEC §2.2 rule 33): the deferral account on document
lines, the tenant's fiscal year and deferral journal, recognitions, their journal rows and each
line's recognised shares

Revision ID: 0006d
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006d"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("document_lines", sa.Column("deferral_account", sa.Text(), nullable=True))
    op.create_index(
        "ix_document_lines_deferred",
        "document_lines",
        ["document_id", "line_no"],
        postgresql_where=sa.text("deferral_account IS NOT NULL"),
    )
    op.create_table(
        "deferral_setup",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column(
            "fiscal_year_first_month", sa.Integer(), server_default=sa.text("1"), nullable=False
        ),
        sa.Column("journal_type", sa.Text(), nullable=True),
        sa.Column("journal_name", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint(
            "fiscal_year_first_month BETWEEN 1 AND 12", name="ck_deferral_setup_first_month"
        ),
        sa.PrimaryKeyConstraint("tenant"),
    )
    op.create_table(
        "deferral_recognitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("through_period", sa.Date(), nullable=False),
        sa.Column("first_period", sa.Date(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "through_period", name="uq_deferral_recognitions_period"),
        sa.UniqueConstraint("tenant", "idempotency_key", name="uq_deferral_recognitions_key"),
    )
    op.create_index(
        "ix_deferral_recognitions_tenant", "deferral_recognitions", ["tenant", "created_at"]
    )
    op.create_table(
        "deferral_journal",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("recognition_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("fiscal_period", sa.Date(), nullable=False),
        sa.Column("deferral_account", sa.Text(), nullable=False),
        sa.Column("revenue_account", sa.Text(), nullable=True),
        sa.Column("dimension_1", sa.Text(), nullable=True),
        sa.Column("dimension_2", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["recognition_id"], ["deferral_recognitions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "recognition_id",
            "fiscal_period",
            "deferral_account",
            "revenue_account",
            "dimension_1",
            "dimension_2",
            name="uq_deferral_journal_pair",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_deferral_journal_tenant", "deferral_journal", ["tenant", "fiscal_period"])
    op.create_table(
        "deferral_shares",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("fiscal_period", sa.Date(), nullable=False),
        sa.Column("booked_period", sa.Date(), nullable=False),
        sa.Column("recognition_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "document_id", "line_no", "fiscal_period", name="pk_deferral_shares"
        ),
    )
    op.create_index("ix_deferral_shares_recognition", "deferral_shares", ["recognition_id"])


def downgrade() -> None:
    op.drop_table("deferral_shares")
    op.drop_table("deferral_journal")
    op.drop_table("deferral_recognitions")
    op.drop_table("deferral_setup")
    op.drop_index("ix_document_lines_deferred", table_name="document_lines")
    op.drop_column("document_lines", "deferral_account")
