"""/v1/refunds and /v1/refund-exports: refunds waiting for the bank, and the pain.001 files."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Response, status
from sqlalchemy import func, select

from federa.payments.http.dependencies import Limit, Offset, Reader, Writer
from federa.payments.http.schemas import Page, RefundExportRead, RefundRead
from federa.payments.refunds.service import export_in_tx
from federa.payments.scope import payer_visible, require_everything, scope_of
from federa.payments.storage.tables import refund_exports, refunds
from federa.payments.tenancy import setup_of
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["refunds"])


@router.get("/refunds", response_model=Page[RefundRead])
async def list_refunds(
    principal: Reader,
    runtime: RuntimeDep,
    pending: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RefundRead]:
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        where = [
            refunds.c.tenant == principal.tenant,
            payer_visible(scope, refunds.c.payer_account_id),
        ]
        if pending is not None:
            where.append(refunds.c.status == ("pending" if pending else "exported"))
        total = (
            await session.execute(select(func.count()).select_from(refunds).where(*where))
        ).scalar_one()
        rows = await session.execute(
            select(refunds)
            .where(*where)
            .order_by(refunds.c.created_at, refunds.c.refund_id)
            .limit(limit)
            .offset(offset)
        )
        items = [RefundRead.model_validate(r) for r in rows.mappings()]
    return Page(items=items, total=int(total), limit=limit, offset=offset)


@router.post(
    "/refund-exports",
    status_code=status.HTTP_201_CREATED,
    response_model=RefundExportRead,
    responses={
        200: {"description": "Same Idempotency-Key: the earlier export"},
        409: {"description": "No refund is pending"},
    },
)
async def export(
    response: Response,
    principal: Writer,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> RefundExportRead:
    """Every pending refund in one pain.001 credit-transfer file (`GET …/{id}/pain001`)."""
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        if idempotency_key:
            earlier = (
                (
                    await session.execute(
                        select(refund_exports).where(
                            refund_exports.c.tenant == principal.tenant,
                            refund_exports.c.idempotency_key == idempotency_key,
                        )
                    )
                )
                .mappings()
                .first()
            )
            if earlier is not None:
                response.status_code = status.HTTP_200_OK
                return RefundExportRead.model_validate(earlier)
        setup = await setup_of(session, principal.tenant)
        values = await export_in_tx(
            session, principal.tenant, setup, principal.subject, idempotency_key=idempotency_key
        )
    if values is None:
        raise Problem(409, "nothing-to-export", "No refund is pending", "Nothing to export.")
    return RefundExportRead.model_validate(values)


@router.get("/refund-exports/{export_id}/pain001", response_class=Response)
async def download(export_id: UUID, principal: Reader, runtime: RuntimeDep) -> Response:
    async with runtime.db.sessions() as session:
        require_everything(await scope_of(session, principal))
        document = (
            await session.execute(
                select(refund_exports.c.document).where(
                    refund_exports.c.tenant == principal.tenant,
                    refund_exports.c.export_id == export_id,
                )
            )
        ).scalar_one_or_none()
    if document is None:
        raise Problem(404, "export-not-found", "Export not found", f"No refund export {export_id}.")
    return Response(document.encode(), media_type="application/xml")
