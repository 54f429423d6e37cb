"""/v1/exceptions: deviant payments waiting for a person, and the actions that resolve them."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter

from federa.payments.exceptions.queries import get_exception, list_exceptions
from federa.payments.exceptions.service import ChosenItem, Resolution, resolve_in_tx
from federa.payments.http.dependencies import Limit, Offset, Reader, Writer
from federa.payments.http.schemas import ApplyBody, ExceptionRead, MoveBody, Page, RefundBody
from federa.payments.scope import scope_of
from federa.payments.tenancy import setup_of
from federa.shared.auth import Principal
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])
PROBLEMS: dict[int | str, dict[str, str]] = {
    404: {"description": "Unknown exception, document or payer"},
    409: {"description": "Already resolved, or the payer is unknown"},
    422: {"description": "Amounts that do not fit the items or the exception"},
}


@router.get("", response_model=Page[ExceptionRead])
async def browse(
    principal: Reader,
    runtime: RuntimeDep,
    status: Literal["open", "resolved", "all"] = "open",
    reason: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ExceptionRead]:
    async with runtime.db.sessions() as session:
        rows, total = await list_exceptions(
            session,
            await scope_of(session, principal),
            status=None if status == "all" else status,
            reason=reason,
            limit=limit,
            offset=offset,
        )
    return Page(
        items=[ExceptionRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


async def _read(runtime: RuntimeDep, principal: Principal, exception_id: UUID) -> ExceptionRead:
    async with runtime.db.sessions() as session:
        row = await get_exception(session, await scope_of(session, principal), exception_id)
    if row is None:
        raise Problem(
            404, "exception-not-found", "Exception not found", f"No exception {exception_id}."
        )
    return ExceptionRead.model_validate(row)


@router.get("/{exception_id}", response_model=ExceptionRead)
async def read(exception_id: UUID, principal: Reader, runtime: RuntimeDep) -> ExceptionRead:
    return await _read(runtime, principal, exception_id)


async def _resolve(
    runtime: RuntimeDep, principal: Principal, exception_id: UUID, resolution: Resolution
) -> ExceptionRead:
    await _read(runtime, principal, exception_id)  # 404 outside the caller's scope
    async with runtime.db.transaction() as session:
        setup = await setup_of(session, principal.tenant)
        await resolve_in_tx(
            session, principal.tenant, setup, exception_id, resolution, principal.subject
        )
    return await _read(runtime, principal, exception_id)


@router.post("/{exception_id}/apply", response_model=ExceptionRead, responses=PROBLEMS)
async def apply(
    exception_id: UUID, body: ApplyBody, principal: Writer, runtime: RuntimeDep
) -> ExceptionRead:
    """Apply to chosen items of the payer; `write_off_rest` settles an item whole; what is
    left over needs `rest`: `gift` or `refund`."""
    items = tuple(ChosenItem(i.document_id, i.amount, i.write_off_rest) for i in body.items)
    resolution = Resolution(
        "apply", items=items, rest=body.rest, iban=body.iban, bic=body.bic, name=body.name
    )
    return await _resolve(runtime, principal, exception_id, resolution)


@router.post("/{exception_id}/refund", response_model=ExceptionRead, responses=PROBLEMS)
async def refund(
    exception_id: UUID, body: RefundBody, principal: Writer, runtime: RuntimeDep
) -> ExceptionRead:
    """Pay the amount back, to the account the payment came from unless `iban` is given."""
    resolution = Resolution("refund", iban=body.iban, bic=body.bic, name=body.name)
    return await _resolve(runtime, principal, exception_id, resolution)


@router.post("/{exception_id}/gift", response_model=ExceptionRead, responses=PROBLEMS)
async def gift(exception_id: UUID, principal: Writer, runtime: RuntimeDep) -> ExceptionRead:
    """Book the amount as a gift on the payer's member."""
    return await _resolve(runtime, principal, exception_id, Resolution("gift"))


@router.post("/{exception_id}/move", response_model=ExceptionRead, responses=PROBLEMS)
async def move(
    exception_id: UUID, body: MoveBody, principal: Writer, runtime: RuntimeDep
) -> ExceptionRead:
    """The money belongs to another payer: apply it there automatically."""
    resolution = Resolution("move", payer_account_id=body.payer_account_id)
    return await _resolve(runtime, principal, exception_id, resolution)


@router.post("/{exception_id}/reapply", response_model=ExceptionRead, responses=PROBLEMS)
async def reapply(exception_id: UUID, principal: Writer, runtime: RuntimeDep) -> ExceptionRead:
    """Run the automatic application again for the same payer, e.g. once the invoice the
    money was meant for is open (it may raise a new exception)."""
    return await _resolve(runtime, principal, exception_id, Resolution("reapply"))
