"""E-invoicing to public customers: GLN/EAN on payers, payer references, setup, document
fields (SPEC §2.2 rules 35, 35a-35c)

Revision ID: 0006e
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006e"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A document's e-invoice fields are part of it: once the document is no longer open (posted,
# or cancelled) they are as immutable as its row and lines.
_FIELDS_IMMUTABLE_FUNCTION = """
CREATE FUNCTION refuse_posted_e_invoice_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_status text;
BEGIN
    SELECT status INTO current_status FROM documents WHERE id = OLD.document_id;
    IF current_status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'e-invoice fields of document % are immutable (% refused)',
            OLD.document_id, TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$
"""


def upgrade() -> None:
    op.add_column("payer_accounts", sa.Column("gln", sa.Text(), nullable=True))
    op.add_column("payer_accounts", sa.Column("e_invoice_payment_method", sa.Text(), nullable=True))
    # The API validates the check digit; the database keeps at least the shape.
    op.create_check_constraint(
        "ck_payer_accounts_gln", "payer_accounts", "gln IS NULL OR gln ~ '^[0-9]{13}$'"
    )
    op.add_column("subscriptions", sa.Column("payer_reference", sa.Text(), nullable=True))
    op.create_table(
        "e_invoice_settings",
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column(
            "country_codes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "currency_codes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "payment_methods",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("sales_unit_code", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.PrimaryKeyConstraint("tenant"),
    )
    op.create_table(
        "document_e_invoices",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("gln", sa.Text(), nullable=True),
        sa.Column("endpoint_scheme", sa.Text(), server_default=sa.text("'GLN'"), nullable=False),
        sa.Column("country_code", sa.Text(), nullable=True),
        sa.Column("currency_code", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("payment_method", sa.Text(), nullable=True),
        sa.Column("payment_channel", sa.Text(), nullable=True),
        sa.Column("external_document_no", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.execute(_FIELDS_IMMUTABLE_FUNCTION)
    op.execute(
        "CREATE TRIGGER document_e_invoices_immutable_when_posted BEFORE UPDATE OR DELETE ON "
        "document_e_invoices FOR EACH ROW EXECUTE FUNCTION refuse_posted_e_invoice_change()"
    )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS document_e_invoices_immutable_when_posted ON document_e_invoices"
    )
    op.execute("DROP FUNCTION IF EXISTS refuse_posted_e_invoice_change()")
    op.drop_table("document_e_invoices")
    op.drop_table("e_invoice_settings")
    op.drop_column("subscriptions", "payer_reference")
    op.drop_constraint("ck_payer_accounts_gln", "payer_accounts", type_="check")
    op.drop_column("payer_accounts", "e_invoice_payment_method")
    op.drop_column("payer_accounts", "gln")
