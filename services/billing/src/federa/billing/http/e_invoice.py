"""E-invoicing to public customers (SPEC §2.2 rules 35, 35a-35c): the tenant's setup, a payer's
GLN/EAN and payment method, a subscription's payer reference and a manual document's external
document number. The run fills the rest itself (`runs/chunks.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import update

from federa.billing.documents.e_invoice import (
    save_setup_in_tx,
    set_external_document_no_in_tx,
    set_payer_e_invoice_in_tx,
    setup_of,
)
from federa.billing.documents.queries import load_document
from federa.billing.domain.e_invoice import (
    IDENTIFIER_MAX_LENGTH,
    EInvoiceFields,
    EInvoiceSetup,
    PaymentMethod,
    normalised_gln,
    payer_reference,
)
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader, SubscriptionWriter
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.run_schemas import EInvoiceRead
from federa.billing.payer_accounts import visible_payer_account
from federa.billing.scope import scope_of
from federa.billing.storage.tables import subscriptions
from federa.billing.subscriptions.store import load_visible
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["e-invoicing"], route_class=BillingRoute, responses=PROBLEMS)

_REFERENCE = Field(default=None, max_length=IDENTIFIER_MAX_LENGTH)


class PaymentMethodBody(Body):
    code: str = Field(min_length=1, max_length=10)
    description: str = ""
    # E.g. "Kontoverførsel" (bank transfer); an e-invoice method needs one.
    payment_channel: str | None = None
    # An e-invoice method has none (rule 35a).
    balancing_account: str | None = None


class EInvoiceSettingsBody(Body):
    """Rule 35a. `country_codes`/`currency_codes` map the tenant's own codes (payer address
    country, billing currency) to the e-invoice codes: `{"DK": "DK"}`, `{"DKK": "DKK"}`."""

    country_codes: dict[str, str] = Field(default_factory=dict)
    currency_codes: dict[str, str] = Field(default_factory=dict)
    payment_methods: list[PaymentMethodBody] = Field(default_factory=list)
    # *Enhedskode EAN salg*: the unit of measure on e-invoice lines (e.g. "EA", "STK").
    sales_unit_code: str | None = None


class PayerEInvoiceBody(Body):
    """Rule 35b: both null makes the payer a paper customer again."""

    gln: str | None = None
    payment_method: str | None = None


class PayerEInvoiceRead(BaseModel):
    payer_account_id: UUID
    number: int
    gln: str | None
    payment_method: str | None


class PayerReferenceBody(Body):
    payer_reference: str | None = _REFERENCE


class PayerReferenceRead(BaseModel):
    subscription_id: UUID
    payer_reference: str | None


class ExternalDocumentNoBody(Body):
    external_document_no: str | None = _REFERENCE


def e_invoice_read(fields: EInvoiceFields | None) -> EInvoiceRead | None:
    if fields is None:
        return None
    e_invoice = bool(fields.gln or fields.payment_method)
    return EInvoiceRead(
        gln=fields.gln,
        endpoint_scheme=fields.endpoint_scheme,
        country_code=fields.country_code,
        currency_code=fields.currency_code,
        unit_code=fields.unit_code,
        payment_method=fields.payment_method,
        payment_channel=fields.payment_channel,
        external_document_no=fields.external_document_no,
        missing_fields=list(fields.missing()) if e_invoice else [],
    )


def _settings_read(setup: EInvoiceSetup | None) -> EInvoiceSettingsBody:
    setup = setup or EInvoiceSetup()
    return EInvoiceSettingsBody(
        country_codes=dict(setup.country_codes),
        currency_codes=dict(setup.currency_codes),
        payment_methods=[
            PaymentMethodBody(
                code=m.code,
                description=m.description,
                payment_channel=m.payment_channel,
                balancing_account=m.balancing_account,
            )
            for m in setup.payment_methods.values()
        ],
        sales_unit_code=setup.sales_unit_code,
    )


@router.get("/e-invoice-settings", response_model=EInvoiceSettingsBody)
async def read_settings(principal: Reader, runtime: RuntimeDep) -> EInvoiceSettingsBody:
    async with runtime.db.sessions() as session:
        return _settings_read(await setup_of(session, principal.tenant))


@router.put("/e-invoice-settings", response_model=EInvoiceSettingsBody)
async def save_settings(
    body: EInvoiceSettingsBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> EInvoiceSettingsBody:
    """Rule 35a, replaced whole. Payment methods are the tenant's; the ones with a channel and
    no balancing account may be a payer's e-invoice method. A run reads the setup of the
    moment it processes a chunk."""
    codes = [m.code for m in body.payment_methods]
    if len(codes) != len(set(codes)):
        raise Problem(422, "duplicate-payment-method", "Invalid request", "Codes must differ.")
    setup = EInvoiceSetup(
        country_codes={k.upper(): v.upper() for k, v in body.country_codes.items()},
        currency_codes={k.upper(): v.upper() for k, v in body.currency_codes.items()},
        payment_methods={
            m.code: PaymentMethod(
                code=m.code,
                description=m.description,
                payment_channel=m.payment_channel or None,
                balancing_account=m.balancing_account or None,
            )
            for m in body.payment_methods
        },
        sales_unit_code=body.sales_unit_code or None,
    ).checked()
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await save_setup_in_tx(session, principal.tenant, setup, actor=principal.subject)
    return _settings_read(setup)


@router.get("/payer-accounts/{payer_account_id}/e-invoice", response_model=PayerEInvoiceRead)
async def read_payer(
    payer_account_id: UUID, principal: Reader, runtime: RuntimeDep
) -> PayerEInvoiceRead:
    async with runtime.db.sessions() as session:
        row = await visible_payer_account(
            session, await scope_of(session, principal), payer_account_id
        )
    return _payer_read(row)


@router.put("/payer-accounts/{payer_account_id}/e-invoice", response_model=PayerEInvoiceRead)
async def save_payer(
    payer_account_id: UUID,
    body: PayerEInvoiceBody,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
) -> PayerEInvoiceRead:
    """Rule 35b: the payer's GLN/EAN number (13 digits with a valid GS1 check digit, else 422
    `invalid-gln`) and the e-invoice payment method (one of the setup's with a payment channel
    and no balancing account, else 422 `invalid-e-invoice-setup`). Publishes
    `billing.payer_account.e_invoice_changed` when anything changed."""
    gln = None if not body.gln else normalised_gln(body.gln)
    async with runtime.db.transaction() as session:
        method = None
        if body.payment_method:
            setup = await setup_of(session, principal.tenant) or EInvoiceSetup()
            method = setup.e_invoice_method(body.payment_method).code
        row = await visible_payer_account(
            session, await scope_of(session, principal), payer_account_id, for_update=True
        )
        saved = await set_payer_e_invoice_in_tx(session, row, gln=gln, payment_method=method)
    return _payer_read(saved)


def _payer_read(row: dict[str, object]) -> PayerEInvoiceRead:
    return PayerEInvoiceRead.model_validate(
        {
            "payer_account_id": row["id"],
            "number": row["number"],
            "gln": row["gln"],
            "payment_method": row["e_invoice_payment_method"],
        }
    )


@router.put("/subscriptions/{subscription_id}/payer-reference", response_model=PayerReferenceRead)
async def save_payer_reference(
    subscription_id: UUID,
    body: PayerReferenceBody,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
) -> PayerReferenceRead:
    """The payer's reference for this subscription's invoices (*Reference nr.*): the external
    document number of its e-invoices (rule 35c). Null removes it."""
    value = payer_reference(body.payer_reference)
    async with runtime.db.transaction() as session:
        await load_visible(
            session, await scope_of(session, principal), subscription_id, for_update=True
        )
        # Invoicing data, not lifecycle state: the subscription's version (and its events'
        # aggregate version) is left alone.
        await session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(
                payer_reference=value, updated_at=datetime.now(UTC), updated_by=principal.subject
            )
        )
    return PayerReferenceRead(subscription_id=subscription_id, payer_reference=value)


@router.put("/documents/{document_id}/external-document-no", response_model=EInvoiceRead)
async def save_external_document_no(
    document_id: UUID,
    body: ExternalDocumentNoBody,
    principal: RunOperator,
    runtime: RuntimeDep,
) -> EInvoiceRead:
    """Rule 35c: a manual document's external document number (*Eksternt bilagsnr.*), on an
    open draft or order (else 409 `document-not-open`); posting fills the rest."""
    async with runtime.db.transaction() as session:
        document = await load_document(
            session, await scope_of(session, principal), document_id, for_update=True
        )
        fields = await set_external_document_no_in_tx(session, document, body.external_document_no)
    read = e_invoice_read(fields)
    assert read is not None
    return read
