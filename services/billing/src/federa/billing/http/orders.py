"""DELETE /v1/documents/{id} (an open order or draft) and /v1/orders/close-at-zero (rule 36)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from federa.billing.documents.queries import document_lines_of
from federa.billing.domain.orders import CloseCriteria
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.documents import document_read
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.run_schemas import DocumentRead
from federa.billing.orders.closing import close_at_zero, delete_open_document_in_tx
from federa.billing.scope import scope_of
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["orders"], route_class=BillingRoute, responses=PROBLEMS)


class CloseAtZero(Body):
    posting_date_before: date
    product: str | None = None
    billing_run_id: UUID | None = None


class ClosedOrders(BaseModel):
    closed: int
    document_ids: list[UUID]


@router.delete("/documents/{document_id}", response_model=DocumentRead)
async def delete(document_id: UUID, principal: RunOperator, runtime: RuntimeDep) -> DocumentRead:
    """`DeleteOrderLines/Documents`: an open order or draft invoice is cancelled (publishes
    `billing.document.cancelled`, reason `deleted`) and its periods are unbilled again. A
    posted invoice or credit memo is never deleted (409: credit it)."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await delete_open_document_in_tx(session, scope, document_id, actor=principal.subject)
        lines = await document_lines_of(session, document_id)
    return document_read(row, lines)


@router.post("/orders/close-at-zero", response_model=ClosedOrders)
async def close(body: CloseAtZero, principal: RunOperator, runtime: RuntimeDep) -> ClosedOrders:
    """`CloseUnpaidOrdersAtZero` (rule 36): open orders posted before `posting_date_before`
    (of `product`, of `billing_run_id`) are closed: cancelled with reason `closed_at_zero`,
    their periods staying billed, so the member owes nothing for them. Repeating it closes
    nothing more."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
    criteria = CloseCriteria(body.posting_date_before, body.product, body.billing_run_id)
    closed = await close_at_zero(runtime.db, scope, criteria, actor=principal.subject)
    return ClosedOrders(closed=len(closed.document_ids), document_ids=closed.document_ids)
