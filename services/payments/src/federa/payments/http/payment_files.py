"""/v1/payment-files: preview, import, progress and report of bank files (SPEC rule 21)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response, status
from sqlalchemy import func, select

from federa.payments.http.dependencies import Limit, Offset, Reader, Writer
from federa.payments.http.schemas import FileRead, FileReport, Page, PreviewRead
from federa.payments.imports.service import preview, resume_if_abandoned, start_import
from federa.payments.scope import require_everything, scope_of
from federa.payments.sources.model import FileRejected
from federa.payments.storage.tables import PAYMENT_FILE_COLUMNS, payment_files
from federa.shared.auth import Principal
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/payment-files", tags=["payment files"])

Format = Literal["camt054", "camt053", "bgmax"]
MAX_BYTES = 256 * 1024 * 1024
FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
REJECTED: dict[int | str, dict[str, Any]] = {
    422: {"description": "The file is refused: `errors` names entry, line and field"}
}


def rejected(error: FileRejected) -> Problem:
    return Problem(
        422,
        "payment-file-rejected",
        "Payment file refused",
        f"{len(error.problems)} problem(s); nothing from the file was applied.",
        errors=[p.as_dict() for p in error.problems],
    )


async def _body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise Problem(413, "file-too-large", "File too large", f"At most {MAX_BYTES} bytes.")
    return raw


async def _federation(principal: Principal, runtime: RuntimeDep) -> None:
    async with runtime.db.sessions() as session:
        require_everything(await scope_of(session, principal))


@router.post(":preview", response_model=PreviewRead, openapi_extra=FILE_BODY, responses=REJECTED)
async def preview_file(
    request: Request, format: Format, principal: Writer, runtime: RuntimeDep
) -> PreviewRead:
    """What importing the file would do, on today's ledger; nothing is stored."""
    await _federation(principal, runtime)
    try:
        result = await preview(runtime.db, principal.tenant, await _body(request), format)
    except FileRejected as error:
        raise rejected(error) from error
    return PreviewRead.model_validate(result)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=FileRead,
    openapi_extra=FILE_BODY,
    responses={
        **REJECTED,
        200: {"model": FileRead, "description": "The same file (or key) again: the first import"},
        409: {"description": "Idempotency-Key used before for another file"},
    },
)
async def import_file(
    request: Request,
    response: Response,
    format: Format,
    principal: Writer,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> FileRead:
    """Check the whole file, then apply its entries in the background: follow
    `GET /v1/payment-files/{id}`. The same file twice is one import."""
    await _federation(principal, runtime)
    try:
        row, new = await start_import(
            runtime.db, principal, await _body(request), format, idempotency_key or None
        )
    except FileRejected as error:
        raise rejected(error) from error
    response.headers["Location"] = f"/v1/payment-files/{row['payment_file_id']}"
    if not new:
        response.status_code = status.HTTP_200_OK
    return FileRead.model_validate(row)


@router.get("", response_model=Page[FileRead])
async def list_files(
    principal: Reader, runtime: RuntimeDep, limit: Limit = 50, offset: Offset = 0
) -> Page[FileRead]:
    async with runtime.db.sessions() as session:
        require_everything(await scope_of(session, principal))
        where = payment_files.c.tenant == principal.tenant
        total = (
            await session.execute(select(func.count()).select_from(payment_files).where(where))
        ).scalar_one()
        rows = await session.execute(
            select(*PAYMENT_FILE_COLUMNS)
            .where(where)
            .order_by(payment_files.c.created_at.desc(), payment_files.c.payment_file_id)
            .limit(limit)
            .offset(offset)
        )
        items = [FileRead.model_validate(r) for r in rows.mappings()]
    return Page(items=items, total=int(total), limit=limit, offset=offset)


async def _file(runtime: RuntimeDep, principal: Principal, file_id: UUID) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        require_everything(await scope_of(session, principal))
        row = (
            (
                await session.execute(
                    select(*PAYMENT_FILE_COLUMNS).where(
                        payment_files.c.tenant == principal.tenant,
                        payment_files.c.payment_file_id == file_id,
                    )
                )
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        raise Problem(
            404, "payment-file-not-found", "Payment file not found", f"No file {file_id}."
        )
    return dict(row)


@router.get("/{payment_file_id}", response_model=FileRead)
async def read_file(payment_file_id: UUID, principal: Reader, runtime: RuntimeDep) -> FileRead:
    """Status and progress (`processed` of `entries`) with the counts so far. An import whose
    process died (no progress for two minutes) is taken over by this one."""
    row = await _file(runtime, principal, payment_file_id)
    if row["status"] == "importing":
        await resume_if_abandoned(runtime.db, principal.tenant, payment_file_id)
    return FileRead.model_validate(row)


@router.get("/{payment_file_id}/report", response_model=FileReport)
async def read_report(payment_file_id: UUID, principal: Reader, runtime: RuntimeDep) -> FileReport:
    """The counts and a line for every entry that needs a look (not fully matched, a gift,
    a duplicate, skipped)."""
    return FileReport.model_validate(await _file(runtime, principal, payment_file_id))
