"""Allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*)

The organisation copy learns each organisation's type; the tenant's grant rules with their
revisions, each organisation's area, and the grant batches with one grant per organisation.

Revision ID: 0006g
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006g"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNTS = (
    "base_amount_large_type1",
    "amount_per_member",
    "base_amount_small_type1",
    "amount_type2",
    "amount_per_type1_org",
    "amount_per_km2",
)


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    # Filled by the next `members.organisation.*` event of each organisation.
    op.add_column("organisations", sa.Column("organisation_type", sa.Text(), nullable=True))

    op.create_table(
        "allocation_grant_rules",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("org_type_1", sa.Text(), nullable=True),
        sa.Column("org_type_2", sa.Text(), nullable=True),
        sa.Column("min_members", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=True) for name in AMOUNTS),
        sa.Column(
            "member_statuses",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{active}'::text[]"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "min_members IS NULL OR min_members >= 1", name="ck_grant_rules_min_members"
        ),
        *(
            sa.CheckConstraint(f"{name} IS NULL OR {name} >= 0", name=f"ck_grant_rules_{name}")
            for name in AMOUNTS
        ),
        sa.PrimaryKeyConstraint("tenant"),
    )
    op.create_table(
        "allocation_grant_rule_revisions",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changed_fields", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "version", name="pk_allocation_grant_rule_revisions"),
    )
    # The audit trail is append-only, like lifecycle entries (migration 0002).
    op.execute(
        """
        CREATE FUNCTION allocation_grant_rule_revisions_immutable() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'allocation grant rule revisions are append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER allocation_grant_rule_revisions_immutable
            BEFORE UPDATE OR DELETE ON allocation_grant_rule_revisions
            FOR EACH ROW EXECUTE FUNCTION allocation_grant_rule_revisions_immutable()
        """
    )
    op.create_table(
        "organisation_grant_profiles",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("area_km2", sa.Numeric(14, 3), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.CheckConstraint("area_km2 IS NULL OR area_km2 >= 0", name="ck_grant_profiles_area"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_table(
        "allocation_grant_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'calculated'"), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('calculated', 'approved')", name="ck_allocation_grant_batches_status"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "reference_date", name="uq_allocation_grant_batches_date"),
        sa.UniqueConstraint("tenant", "idempotency_key", name="uq_allocation_grant_batches_key"),
    )
    op.create_table(
        "allocation_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_name", sa.Text(), nullable=True),
        sa.Column("organisation_type", sa.Text(), nullable=False),
        sa.Column("type_no", sa.Integer(), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("area_km2", sa.Numeric(14, 3), nullable=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_allocation_grants_amount"),
        sa.CheckConstraint("type_no IN (1, 2)", name="ck_allocation_grants_type_no"),
        sa.ForeignKeyConstraint(["batch_id"], ["allocation_grant_batches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "batch_id", "organisation_id", name="uq_allocation_grants_organisation"
        ),
    )
    op.create_index(
        "ix_allocation_grants_tenant",
        "allocation_grants",
        ["tenant", "reference_date", "organisation_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_allocation_grants_tenant", table_name="allocation_grants")
    op.drop_table("allocation_grants")
    op.drop_table("allocation_grant_batches")
    op.drop_table("organisation_grant_profiles")
    op.execute(
        "DROP TRIGGER allocation_grant_rule_revisions_immutable ON allocation_grant_rule_revisions"
    )
    op.execute("DROP FUNCTION allocation_grant_rule_revisions_immutable()")
    op.drop_table("allocation_grant_rule_revisions")
    op.drop_table("allocation_grant_rules")
    op.drop_column("organisations", "organisation_type")
