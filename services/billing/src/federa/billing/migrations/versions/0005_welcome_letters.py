"""Welcome-letter setup per tenant (SPEC §2.2 rule 7)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "welcome_settings",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), server_default=sa.text("'none'"), nullable=False),
        sa.Column("recruit_text", sa.Text(), nullable=True),
        sa.Column(
            "price_codes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "channels",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("updated_by", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint(
            "method IN ('none', 'template', 'internal_text')", name="ck_welcome_settings_method"
        ),
        sa.PrimaryKeyConstraint("tenant"),
    )


def downgrade() -> None:
    op.drop_table("welcome_settings")
