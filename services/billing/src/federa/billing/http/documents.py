"""/v1/documents (read; post a draft) and /v1/invoicing-settings."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from federa.billing.documents.e_invoice import document_fields
from federa.billing.documents.posting import post_draft_in_tx
from federa.billing.documents.queries import document_lines_of, list_documents, load_document
from federa.billing.documents.settings import (
    InvoicingSettings,
    accounting_from_json,
    accounting_to_json,
    invoicing_settings_of,
    save_invoicing_settings_in_tx,
)
from federa.billing.domain.documents import InvoicingMode
from federa.billing.domain.e_invoice import EInvoiceFields
from federa.billing.domain.grouping import DocumentGrouping
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.e_invoice import e_invoice_read
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.run_schemas import (
    DocumentLineRead,
    DocumentPage,
    DocumentRead,
    InvoicingSettingsBody,
)
from federa.billing.scope import scope_of
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["documents"], route_class=BillingRoute, responses=PROBLEMS)

Kind = Literal["order", "draft_invoice", "invoice", "credit_memo"]


def document_read(
    row: dict[str, Any],
    lines: list[dict[str, Any]] | None = None,
    e_invoice: EInvoiceFields | None = None,
) -> DocumentRead:
    return DocumentRead.model_validate(
        {
            **row,
            "lines": None
            if lines is None
            else [DocumentLineRead.model_validate(line) for line in lines],
            "e_invoice": e_invoice_read(e_invoice),
        }
    )


@router.get("/documents", response_model=DocumentPage)
async def list_all(
    principal: Reader,
    runtime: RuntimeDep,
    payer_account_id: UUID | None = None,
    member_id: UUID | None = None,
    billing_run_id: UUID | None = None,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    """Documents of visible members (per-payer documents: of visible payers), oldest first;
    `member_id` also finds per-payer documents with a line of that member."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        rows, total = await list_documents(
            session,
            scope,
            payer_account_id=payer_account_id,
            member_id=member_id,
            billing_run_id=billing_run_id,
            kind=kind,
            limit=limit,
            offset=offset,
        )
    return DocumentPage(
        items=[document_read(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/documents/{document_id}", response_model=DocumentRead)
async def read(document_id: UUID, principal: Reader, runtime: RuntimeDep) -> DocumentRead:
    async with runtime.db.sessions() as session:
        row = await load_document(session, await scope_of(session, principal), document_id)
        lines = await document_lines_of(session, document_id)
        e_invoice = await document_fields(session, document_id)
    return document_read(row, lines, e_invoice)


@router.post("/documents/{document_id}/post", response_model=DocumentRead)
async def post(document_id: UUID, principal: RunOperator, runtime: RuntimeDep) -> DocumentRead:
    """Post a draft invoice: it gets the next invoice number and becomes immutable; publishes
    `billing.document.posted`. Anything but an open draft: 409."""
    async with runtime.db.transaction() as session:
        row = await post_draft_in_tx(session, await scope_of(session, principal), document_id)
        lines = await document_lines_of(session, document_id)
        e_invoice = await document_fields(session, document_id)
    return document_read(row, lines, e_invoice)


def settings_read(settings: InvoicingSettings) -> InvoicingSettingsBody:
    return InvoicingSettingsBody.model_validate(
        {
            "invoicing_mode": settings.invoicing_mode.value,
            "document_grouping": settings.document_grouping.value,
            "payment_terms_days": settings.payment_terms_days,
            "product_accounting": accounting_to_json(settings.product_accounting),
            "gift_posting_type": settings.gift_posting_type,
        }
    )


@router.get("/invoicing-settings", response_model=InvoicingSettingsBody)
async def read_settings(principal: Reader, runtime: RuntimeDep) -> InvoicingSettingsBody:
    async with runtime.db.sessions() as session:
        return settings_read(await invoicing_settings_of(session, principal.tenant))


@router.put("/invoicing-settings", response_model=InvoicingSettingsBody)
async def save_settings(
    body: InvoicingSettingsBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> InvoicingSettingsBody:
    """Rules 27-28 and payment terms; a run keeps the mode and grouping it was planned with."""
    settings = InvoicingSettings(
        tenant=principal.tenant,
        invoicing_mode=InvoicingMode(body.invoicing_mode),
        document_grouping=DocumentGrouping(body.document_grouping),
        payment_terms_days=body.payment_terms_days,
        product_accounting=accounting_from_json(
            {k: v.model_dump() for k, v in body.product_accounting.items()}
        ),
        gift_posting_type=body.gift_posting_type,
    )
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await save_invoicing_settings_in_tx(session, settings)
    return settings_read(settings)
