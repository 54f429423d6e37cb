"""/v1/documents/{id}.pdf: a document as the member receives it. Registered before
`/v1/documents/{id}` so the `.pdf` path is not read as an id."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from federa.billing.documents.printing import document_pdf
from federa.billing.http.dependencies import Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.scope import scope_of
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["documents"], route_class=BillingRoute, responses=PROBLEMS)


@router.get(
    "/documents/{document_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The document as PDF"}},
)
async def pdf(document_id: UUID, principal: Reader, runtime: RuntimeDep) -> Response:
    """An invoice, order, draft or credit memo as an A4 PDF: federation, payer and address,
    number and dates, lines, totals, and the payment slip with the payment reference."""
    async with runtime.db.sessions() as session:
        body = await document_pdf(session, await scope_of(session, principal), document_id)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document_id}.pdf"'},
    )
