"""/v1/imports: bulk import of members and organisations from CSV files."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, Field

from federa.members.http.dependencies import Organiser
from federa.members.imports import start_import
from federa.members.imports_store import REPORT_LIMIT, list_imports, load_import
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/imports", tags=["imports"])

# A million members with full addresses is about 150 MB of CSV.
MAX_BYTES = 512 * 1024 * 1024


class ImportKind(StrEnum):
    MEMBERS = "members"
    ORGANISATIONS = "organisations"


class ImportStatus(StrEnum):
    VALIDATING = "validating"
    IMPORTING = "importing"
    DONE = "done"
    REJECTED = "rejected"
    FAILED = "failed"


class ReportLine(BaseModel):
    line: int | None = Field(description="Line in the file; the header is line 1.")
    field: str | None
    message: str


class ImportSummary(BaseModel):
    id: UUID
    kind: ImportKind
    status: ImportStatus
    total_rows: int
    processed_rows: int = Field(description="Rows written so far: created + updated + unchanged.")
    created: int
    updated: int
    unchanged: int
    rejected: int = Field(description="Bad lines; when any, nothing was imported.")
    idempotency_key: str | None
    file_sha256: str
    created_at: datetime
    created_by: str
    finished_at: datetime | None


class ImportRead(ImportSummary):
    report: list[ReportLine]
    report_truncated: bool = Field(
        description=f"The report holds the first {REPORT_LIMIT} problems only."
    )


class ImportPage(BaseModel):
    items: list[ImportSummary]
    total: int
    limit: int
    offset: int


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "created": row["created_count"],
        "updated": row["updated_count"],
        "unchanged": row["unchanged_count"],
        "rejected": row["rejected_count"],
    }


def _read(row: dict[str, Any]) -> ImportRead:
    return ImportRead.model_validate(
        {**_fields(row), "report_truncated": len(row["report"]) >= REPORT_LIMIT}
    )


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportRead,
    openapi_extra=CSV_BODY,
    responses={
        200: {"model": ImportRead, "description": "Same Idempotency-Key: the earlier import"},
        409: {"description": "Idempotency-Key used before for another file"},
        413: {"description": "File too large"},
        415: {"description": "Not text/csv"},
        422: {"description": "Malformed CSV (encoding, header, columns, field count)"},
    },
)
async def post_import(
    request: Request,
    response: Response,
    principal: Organiser,
    runtime: RuntimeDep,
    kind: ImportKind,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ImportRead:
    """Import a CSV file (UTF-8, header row, `;` or `,`). The file's shape is checked now;
    the lines are validated and written in the background: follow `GET /v1/imports/{id}`.
    If any line is bad, the import is `rejected` with a report and nothing is written."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "application/csv"):
        raise Problem(
            415, "unsupported-media-type", "Send a CSV file", "Content-Type must be text/csv."
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BYTES:
        raise Problem(413, "file-too-large", "File too large", f"At most {MAX_BYTES} bytes.")
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise Problem(413, "file-too-large", "File too large", f"At most {MAX_BYTES} bytes.")
    row, new = await start_import(
        runtime.db,
        principal,
        kind=kind.value,
        raw=raw,
        idempotency_key=idempotency_key or None,
    )
    response.headers["Location"] = f"/v1/imports/{row['id']}"
    if not new:
        response.status_code = status.HTTP_200_OK
    return _read(row)


@router.get("/{import_id}", response_model=ImportRead)
async def read_import(import_id: UUID, principal: Organiser, runtime: RuntimeDep) -> ImportRead:
    """Status, progress (`processed_rows` of `total_rows`), counts and the report."""
    async with runtime.db.sessions() as session:
        row = await load_import(session, principal.tenant, import_id)
    return _read(row)


@router.get("", response_model=ImportPage)
async def browse_imports(
    principal: Organiser,
    runtime: RuntimeDep,
    kind: ImportKind | None = None,
    status_: Annotated[ImportStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ImportPage:
    """The tenant's imports, newest first, without their reports."""
    async with runtime.db.sessions() as session:
        rows, total = await list_imports(
            session,
            tenant=principal.tenant,
            kind=kind.value if kind else None,
            status=status_.value if status_ else None,
            limit=limit,
            offset=offset,
        )
    items = [ImportSummary.model_validate(_fields(r)) for r in rows]
    return ImportPage(items=items, total=total, limit=limit, offset=offset)
