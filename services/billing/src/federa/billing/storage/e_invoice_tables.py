"""E-invoicing to public customers (SPEC §2.2 rules 35, 35a-35c), in billing's one MetaData
(migration 0006e). The payer's GLN and payment method are columns of `payer_accounts`, the
subscription's payer reference one of `subscriptions` (both in `tables.py`); here are the
tenant's setup and each document's e-invoice fields.

A document's fields live beside it, not on `documents`, because only e-invoice documents (and
manual documents given an external number) have any: the run writes them with COPY for just
those. Like the document, they are immutable once it is posted (trigger in 0006e).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Table, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB

from federa.billing.storage.tables import metadata

e_invoice_settings = Table(
    "e_invoice_settings",
    metadata,
    Column("tenant", Text, primary_key=True),
    # {"DK": "DK"}: the country code on payer addresses → OIOXML country code.
    Column("country_codes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # {"DKK": "DKK"}: the tenant's currency → OIOXML currency code.
    Column("currency_codes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # [{"code": "EAN", "description": …, "payment_channel": …, "balancing_account": null}]
    Column("payment_methods", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # *Enhedskode EAN salg*: the unit of measure on e-invoice lines.
    Column("sales_unit_code", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default=text("''")),
)

document_e_invoices = Table(
    "document_e_invoices",
    metadata,
    Column("document_id", Uuid, ForeignKey("documents.id"), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("gln", Text),
    Column("endpoint_scheme", Text, nullable=False, server_default=text("'GLN'")),
    Column("country_code", Text),
    Column("currency_code", Text),
    Column("unit_code", Text),
    Column("payment_method", Text),
    Column("payment_channel", Text),
    # *Eksternt bilagsnr.*: the payer's reference.
    Column("external_document_no", Text),
)
