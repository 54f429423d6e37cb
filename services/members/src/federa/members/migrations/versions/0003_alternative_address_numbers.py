"""Alternative addresses get a number per member (billing's delivery address number)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'members',
        sa.Column('last_address_no', sa.Integer(), server_default=sa.text('0'), nullable=False),
    )
    op.add_column('alternative_addresses', sa.Column('address_no', sa.Integer(), nullable=True))
    # Existing addresses are numbered in the order they were added.
    op.execute(
        """
        UPDATE alternative_addresses a SET address_no = n.no
        FROM (
            SELECT id, row_number() OVER (PARTITION BY member_id ORDER BY created_at, id) AS no
            FROM alternative_addresses
        ) n
        WHERE a.id = n.id
        """
    )
    op.execute(
        """
        UPDATE members m SET last_address_no = a.top
        FROM (SELECT member_id, max(address_no) AS top FROM alternative_addresses
              GROUP BY member_id) a
        WHERE m.id = a.member_id
        """
    )
    op.alter_column('alternative_addresses', 'address_no', nullable=False)
    op.create_unique_constraint(
        'uq_alternative_addresses_member_no', 'alternative_addresses', ['member_id', 'address_no']
    )


def downgrade() -> None:
    op.drop_constraint('uq_alternative_addresses_member_no', 'alternative_addresses', type_='unique')
    op.drop_column('alternative_addresses', 'address_no')
    op.drop_column('members', 'last_address_no')
