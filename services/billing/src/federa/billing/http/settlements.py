"""/v1/settlements: branch settlements per period (rule 34, flow F12)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.scope import scope_of
from federa.billing.settlements.store import calculate_in_tx, list_settlements, load_settlement
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/settlements", tags=["settlements"], route_class=BillingRoute, responses=PROBLEMS
)


class SettlementCreate(Body):
    period_from: date
    period_to: date


class SettlementLineRead(BaseModel):
    document_id: UUID
    line_no: int
    document_no: str
    document_kind: str
    posting_date: date
    amount: int


class SettlementRead(BaseModel):
    id: UUID
    batch_id: UUID
    organisation_id: UUID
    organisation_name: str | None
    period_from: date
    period_to: date
    currency: str
    amount: int
    documents: int
    lines: int
    created_at: datetime
    settled_lines: list[SettlementLineRead] | None = None


class SettlementBatchRead(BaseModel):
    id: UUID
    period_from: date
    period_to: date
    currency: str
    total: int
    settlements: list[SettlementRead]


class SettlementPage(BaseModel):
    items: list[SettlementRead]
    total: int
    limit: int
    offset: int


def _read(row: dict[str, Any], lines: list[dict[str, Any]] | None = None) -> SettlementRead:
    return SettlementRead.model_validate(
        {
            **row,
            "settled_lines": None
            if lines is None
            else [SettlementLineRead.model_validate(line) for line in lines],
        }
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SettlementBatchRead,
    responses={200: {"description": "The settlements this period was calculated with before"}},
)
async def calculate(
    body: SettlementCreate, principal: RunOperator, runtime: RuntimeDep, response: Response
) -> SettlementBatchRead:
    """Per organisation, the branch shares of the lines of posted invoices less those of credit
    memos posted in the period (by posting date), each line once; publishes
    `billing.settlement.calculated` per organisation. The same period again returns the first
    calculation (200) and pays nothing twice; `period_to` before `period_from` is 422."""
    async with runtime.db.transaction() as session:
        batch = await calculate_in_tx(
            session, principal.tenant, body.period_from, body.period_to, actor=principal.subject
        )
    if not batch.created:
        response.status_code = status.HTTP_200_OK
    found = [_read(row) for row in batch.settlements]
    return SettlementBatchRead(
        id=batch.row["id"],
        period_from=batch.row["period_from"],
        period_to=batch.row["period_to"],
        currency=batch.row["currency"],
        total=sum(s.amount for s in found),
        settlements=found,
    )


@router.get("", response_model=SettlementPage)
async def list_all(
    principal: Reader,
    runtime: RuntimeDep,
    organisation_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SettlementPage:
    """Settlements of the caller's organisations (all for the federation), by period."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        rows, total = await list_settlements(
            session, scope, organisation_id=organisation_id, limit=limit, offset=offset
        )
    return SettlementPage(items=[_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{settlement_id}", response_model=SettlementRead)
async def read(settlement_id: UUID, principal: Reader, runtime: RuntimeDep) -> SettlementRead:
    """One settlement with the document lines it settled (credit memo lines negative)."""
    async with runtime.db.sessions() as session:
        row, lines = await load_settlement(
            session, await scope_of(session, principal), settlement_id
        )
    return _read(row, lines)
