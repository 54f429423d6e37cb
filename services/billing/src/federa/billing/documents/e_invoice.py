"""E-invoicing's storage (SPEC §2.2 rules 35, 35a-35c): the tenant's setup, the payers' GLN
and payment method, each document's fields; and the check that refuses posting an incomplete
e-invoice document. The rules themselves are `domain/e_invoice.py`.

A run reads everything it needs for a chunk in one round trip (`e_invoice_payers_in_tx`): the
chunk's payers that are e-invoice payers, each row carrying the tenant setup. A chunk without
public customers gets no rows back and does no e-invoice work at all.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.e_invoice import (
    REQUIRED_FIELDS,
    EInvoiceFields,
    EInvoicePayers,
    EInvoiceSetup,
    PayerEInvoice,
    PaymentMethod,
    derive,
    incomplete,
)
from federa.billing.storage.e_invoice_tables import document_e_invoices, e_invoice_settings
from federa.billing.storage.tables import payer_accounts
from federa.shared.contracts.billing import (
    PAYER_ACCOUNT_E_INVOICE_CHANGED,
    EInvoiceV1,
    PayerAccountEInvoiceV1,
)
from federa.shared.db import is_any_of
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

Row = dict[str, Any]

_FIELD_COLUMNS = ("endpoint_scheme", *REQUIRED_FIELDS)

log = logging.getLogger(__name__)


# --- setup ------------------------------------------------------------------------------------


def setup_from_row(row: Mapping[str, Any]) -> EInvoiceSetup:
    return EInvoiceSetup(
        country_codes=dict(row["country_codes"] or {}),
        currency_codes=dict(row["currency_codes"] or {}),
        payment_methods={
            m["code"]: PaymentMethod(
                code=m["code"],
                description=m.get("description") or "",
                payment_channel=m.get("payment_channel"),
                balancing_account=m.get("balancing_account"),
            )
            for m in row["payment_methods"] or []
        },
        sales_unit_code=row["sales_unit_code"],
    )


def setup_to_row(setup: EInvoiceSetup) -> Row:
    return {
        "country_codes": dict(setup.country_codes),
        "currency_codes": dict(setup.currency_codes),
        "payment_methods": [
            {
                "code": m.code,
                "description": m.description,
                "payment_channel": m.payment_channel,
                "balancing_account": m.balancing_account,
            }
            for m in setup.payment_methods.values()
        ],
        "sales_unit_code": setup.sales_unit_code,
    }


async def setup_of(session: AsyncSession, tenant: str) -> EInvoiceSetup | None:
    row = (
        (
            await session.execute(
                select(e_invoice_settings).where(e_invoice_settings.c.tenant == tenant)
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else setup_from_row(dict(row))


async def save_setup_in_tx(
    session: AsyncSession, tenant: str, setup: EInvoiceSetup, *, actor: str
) -> None:
    values = {
        "tenant": tenant,
        **setup_to_row(setup.checked()),
        "updated_at": datetime.now(UTC),
        "updated_by": actor,
    }
    statement = insert(e_invoice_settings).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[e_invoice_settings.c.tenant],
            set_={k: statement.excluded[k] for k in values if k != "tenant"},
        )
    )


# --- payers -----------------------------------------------------------------------------------


def _payer_of(row: Mapping[str, Any]) -> PayerEInvoice:
    return PayerEInvoice(
        payer=row["id"],
        gln=row["gln"],
        payment_method=row["e_invoice_payment_method"],
        country_code=row["country_code"],
    )


def _setup_subquery(tenant: str) -> Any:
    """The tenant's setup as one JSON value, to ride along on each payer row."""
    return (
        select(literal_column("to_jsonb(e_invoice_settings.*)"))
        .select_from(e_invoice_settings)
        .where(e_invoice_settings.c.tenant == tenant)
        .scalar_subquery()
    )


async def e_invoice_payers_in_tx(
    session: AsyncSession, tenant: str, currency: str, payer_ids: Iterable[uuid.UUID]
) -> EInvoicePayers:
    """The e-invoice payers among `payer_ids`, with the setup: one query for a whole chunk."""
    ids = list(set(payer_ids))
    if not ids:
        return EInvoicePayers(currency)
    rows = (
        (
            await session.execute(
                select(
                    payer_accounts.c.id,
                    payer_accounts.c.gln,
                    payer_accounts.c.e_invoice_payment_method,
                    payer_accounts.c.country_code,
                    _setup_subquery(tenant).label("setup"),
                ).where(
                    is_any_of(payer_accounts.c.id, ids, "ids"),
                    payer_accounts.c.tenant == tenant,
                    or_(
                        payer_accounts.c.gln.is_not(None),
                        payer_accounts.c.e_invoice_payment_method.is_not(None),
                    ),
                )
            )
        )
        .mappings()
        .all()
    )
    if not rows:
        return EInvoicePayers(currency)
    setup_row = rows[0]["setup"]
    return EInvoicePayers(
        currency=currency,
        setup=None if setup_row is None else setup_from_row(setup_row),
        payers={row["id"]: _payer_of(dict(row)) for row in rows},
    )


async def set_payer_e_invoice_in_tx(
    session: AsyncSession,
    account: Row,
    *,
    gln: str | None,
    payment_method: str | None,
) -> Row:
    """Store the locked account's GLN and payment method (validated by the caller); publish
    `billing.payer_account.e_invoice_changed` when anything changed."""
    if account["gln"] == gln and account["e_invoice_payment_method"] == payment_method:
        return account
    values = {
        "gln": gln,
        "e_invoice_payment_method": payment_method,
        "version": account["version"] + 1,
        "updated_at": datetime.now(UTC),
    }
    await session.execute(
        update(payer_accounts).where(payer_accounts.c.id == account["id"]).values(**values)
    )
    changed = {**account, **values}
    await record_event_in_tx(
        session,
        new_event(
            PAYER_ACCOUNT_E_INVOICE_CHANGED,
            PayerAccountEInvoiceV1(
                payer_account_id=changed["id"],
                number=changed["number"],
                gln=gln,
                payment_method=payment_method,
            ),
            subject=str(changed["id"]),
            tenant=changed["tenant"],
            aggregate_version=changed["version"],
        ),
    )
    return changed


# --- documents --------------------------------------------------------------------------------


def fields_row(document_id: uuid.UUID, tenant: str, fields: EInvoiceFields) -> Row:
    return {
        "document_id": document_id,
        "tenant": tenant,
        **{name: getattr(fields, name) for name in _FIELD_COLUMNS},
    }


def fields_of(row: Mapping[str, Any]) -> EInvoiceFields:
    return EInvoiceFields(**{name: row[name] for name in _FIELD_COLUMNS})


def e_invoice_v1(fields: EInvoiceFields | None) -> EInvoiceV1 | None:
    if fields is None:
        return None
    return EInvoiceV1(**{name: getattr(fields, name) for name in _FIELD_COLUMNS})


async def document_fields(session: AsyncSession, document_id: uuid.UUID) -> EInvoiceFields | None:
    row = (
        (
            await session.execute(
                select(document_e_invoices).where(document_e_invoices.c.document_id == document_id)
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else fields_of(dict(row))


async def save_document_fields_in_tx(
    session: AsyncSession, document_id: uuid.UUID, tenant: str, fields: EInvoiceFields
) -> None:
    values = fields_row(document_id, tenant, fields)
    statement = insert(document_e_invoices).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[document_e_invoices.c.document_id],
            set_={k: statement.excluded[k] for k in _FIELD_COLUMNS},
        )
    )


async def set_external_document_no_in_tx(
    session: AsyncSession, document: Row, external_document_no: str | None
) -> EInvoiceFields:
    """A manual document's external document number (rule 35c); the document must be open."""
    if document["status"] != "open":
        raise Problem(
            409,
            "document-not-open",
            "Refused in the current state",
            f"Document {document['document_no']} is {document['status']}; only an open draft "
            "or order takes an external document number.",
        )
    current = await document_fields(session, document["id"]) or EInvoiceFields()
    value = (external_document_no or "").strip() or None
    changed = EInvoiceFields(
        **{
            name: getattr(current, name)
            for name in _FIELD_COLUMNS
            if name != "external_document_no"
        },
        external_document_no=value,
    )
    await save_document_fields_in_tx(session, document["id"], document["tenant"], changed)
    return changed


async def fields_for_posting_in_tx(
    session: AsyncSession, document: Row, *, refuse_incomplete: bool = True
) -> EInvoiceFields | None:
    """Rule 35: the fields the locked open `document` is posted with, or 409
    `e-invoice-incomplete` naming what is missing (nothing is changed then).

    The fields stored at issue stand (a run-issued order is complete when paid, whatever
    changed since); blank ones are filled from today's setup and payer, so a draft issued
    before its payer became a public customer gets them on posting. The external document
    number is never derived here: a manual document is given it (`PUT …/external-document-no`).
    A document is an e-invoice when its payer is an e-invoice payer now or its stored fields
    say it was one at issue."""
    stored = await document_fields(session, document["id"])
    payers = await e_invoice_payers_in_tx(
        session, document["tenant"], document["currency"], [document["payer_account_id"]]
    )
    payer = payers.payers.get(document["payer_account_id"])
    was_e_invoice = stored is not None and bool(stored.gln or stored.payment_method)
    if payer is None and not was_e_invoice:
        return stored  # paper: an external number given by hand travels along, no check
    current = EInvoiceFields()
    if payer is not None:
        current = derive(payers.setup, payer, document["currency"], None)
    fields = (stored or EInvoiceFields()).filled_from(current)
    if fields.missing() and not refuse_incomplete:
        # A payment received is a fact: the order is booked as an invoice with what it has,
        # and the missing fields stay visible on the document (`missing_fields`).
        log.warning(
            "document %s posted on payment with e-invoice fields missing: %s",
            document["id"],
            ", ".join(fields.missing()),
        )
    elif fields.missing():
        error = incomplete(fields, f"Document {document['document_no']}")
        raise Problem(
            409,
            error.code,
            "Refused in the current state",
            error.message,
            missing_fields=list(error.missing),
        )
    await save_document_fields_in_tx(session, document["id"], document["tenant"], fields)
    return fields
