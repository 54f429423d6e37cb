"""Member facts from every member event: leaving reason and date; registered_at optional.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("members", "registered_at", nullable=True)
    op.add_column("members", sa.Column("leaving_reason", sa.Text()))
    op.add_column("members", sa.Column("leaving_date", sa.Date()))


def downgrade() -> None:
    op.drop_column("members", "leaving_date")
    op.drop_column("members", "leaving_reason")
    op.execute("UPDATE members SET registered_at = updated_at WHERE registered_at IS NULL")
    op.alter_column("members", "registered_at", nullable=False)
