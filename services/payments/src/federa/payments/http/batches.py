"""/v1/payment-batches: manual payment entry and fundraising batches, reviewed, transferred."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from federa.payments.batches.service import (
    Line,
    add_lines_in_tx,
    create_batch_in_tx,
    load_batch,
    summary,
    transfer_in_tx,
)
from federa.payments.http.dependencies import Reader, Writer
from federa.payments.http.schemas import (
    BatchCreate,
    BatchLineBody,
    BatchLineRead,
    BatchLinesBody,
    BatchRead,
    TransferRead,
)
from federa.payments.scope import require_everything, scope_of
from federa.payments.tenancy import setup_of
from federa.shared.auth import Principal
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/payment-batches", tags=["payment batches"])
PROBLEMS: dict[int | str, dict[str, str]] = {
    404: {"description": "Unknown batch"},
    409: {"description": "The batch was transferred, or is empty"},
    422: {"description": "Bad lines: `errors` names line and field"},
}


def _lines(body: list[BatchLineBody]) -> list[Line]:
    return [Line(**line.model_dump()) for line in body]


async def _read(runtime: RuntimeDep, principal: Principal, batch_id: UUID) -> BatchRead:
    async with runtime.db.sessions() as session:
        batch, lines = await load_batch(session, principal.tenant, batch_id)
    return BatchRead.model_validate(
        {
            **batch,
            "lines": [BatchLineRead.model_validate(r) for r in lines],
            "total": sum(r["amount"] for r in lines),
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BatchRead, responses=PROBLEMS)
async def create(body: BatchCreate, principal: Writer, runtime: RuntimeDep) -> BatchRead:
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        setup = await setup_of(session, principal.tenant)
        batch_id = await create_batch_in_tx(
            session,
            principal.tenant,
            kind=body.kind,
            name=body.name,
            currency=setup.currency,
            lines=_lines(body.lines),
            actor=principal.subject,
        )
    return await _read(runtime, principal, batch_id)


@router.post("/{batch_id}/lines", response_model=BatchRead, responses=PROBLEMS)
async def add_lines(
    batch_id: UUID, body: BatchLinesBody, principal: Writer, runtime: RuntimeDep
) -> BatchRead:
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        await add_lines_in_tx(session, principal.tenant, batch_id, _lines(body.lines))
    return await _read(runtime, principal, batch_id)


@router.get("/{batch_id}", response_model=BatchRead, responses=PROBLEMS)
async def read(batch_id: UUID, principal: Reader, runtime: RuntimeDep) -> BatchRead:
    async with runtime.db.sessions() as session:
        require_everything(await scope_of(session, principal))
    return await _read(runtime, principal, batch_id)


@router.post("/{batch_id}/preview", response_model=TransferRead, responses=PROBLEMS)
async def preview(batch_id: UUID, principal: Writer, runtime: RuntimeDep) -> TransferRead:
    """The review: what the transfer would apply, on today's ledger; nothing is stored."""
    async with runtime.db.sessions() as session:
        transaction = await session.begin()
        try:
            require_everything(await scope_of(session, principal))
            setup = await setup_of(session, principal.tenant)
            posted = await transfer_in_tx(
                session, principal.tenant, setup, batch_id, principal.subject, preview=True
            )
        finally:
            await transaction.rollback()
    return TransferRead.model_validate({"batch_id": batch_id, **summary(posted)})


@router.post("/{batch_id}/transfer", response_model=TransferRead, responses=PROBLEMS)
async def transfer(batch_id: UUID, principal: Writer, runtime: RuntimeDep) -> TransferRead:
    """Transfer once: manual lines become payments applied by the manual source's setup;
    fundraising lines become payments and gifts at once."""
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        setup = await setup_of(session, principal.tenant)
        posted = await transfer_in_tx(session, principal.tenant, setup, batch_id, principal.subject)
    return TransferRead.model_validate({"batch_id": batch_id, **summary(posted)})
