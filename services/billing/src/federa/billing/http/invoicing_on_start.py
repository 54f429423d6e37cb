"""/v1/invoicing-on-start: the tenant's invoicing mode on start (rule 6)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.runs.start_billing import save_start_mode_in_tx, start_mode_of
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["documents"], route_class=BillingRoute, responses=PROBLEMS)


class InvoicingOnStart(Body):
    """What starting a subscription issues at once: a posted invoice, a draft invoice, an
    order (payment request), or nothing (the next billing run charges it)."""

    mode: Literal["none", "invoice", "draft_invoice", "order"] = "none"


@router.get("/invoicing-on-start", response_model=InvoicingOnStart)
async def read(principal: Reader, runtime: RuntimeDep) -> InvoicingOnStart:
    async with runtime.db.sessions() as session:
        return InvoicingOnStart.model_validate(
            {"mode": await start_mode_of(session, principal.tenant)}
        )


@router.put("/invoicing-on-start", response_model=InvoicingOnStart)
async def save(
    body: InvoicingOnStart, principal: CatalogueWriter, runtime: RuntimeDep
) -> InvoicingOnStart:
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await save_start_mode_in_tx(session, principal.tenant, body.mode)
    return body
