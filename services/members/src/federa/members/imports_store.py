"""The `imports` table: one row per import with its status, progress, counts and report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.member_store import now
from federa.members.storage.tables import imports
from federa.shared.http.problems import Problem

VALIDATING = "validating"
IMPORTING = "importing"
DONE = "done"
REJECTED = "rejected"
FAILED = "failed"
FINISHED = (DONE, REJECTED, FAILED)

# A file with more bad lines than this is the wrong file; the count still covers them all.
REPORT_LIMIT = 10_000


class LineError(TypedDict):
    line: int | None
    field: str | None
    message: str


def line_error(line: int | None, field: str | None, message: str) -> LineError:
    return {"line": line, "field": field, "message": message}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged


def not_found(import_id: uuid.UUID) -> Problem:
    return Problem(404, "import-not-found", "Import not found", f"No import {import_id}.")


async def create_import_in_tx(
    session: AsyncSession,
    *,
    tenant: str,
    kind: str,
    file_sha256: str,
    idempotency_key: str | None,
    total_rows: int,
    actor: str,
) -> tuple[dict[str, Any], bool]:
    """The new import, or the earlier one with the same idempotency key; True if new."""
    values = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "kind": kind,
        "file_sha256": file_sha256,
        "idempotency_key": idempotency_key,
        "status": VALIDATING,
        "total_rows": total_rows,
        "created_at": now(),
        "created_by": actor,
    }
    if idempotency_key is None:
        row = (await session.execute(insert(imports).values(**values).returning(imports))).one()
        return dict(row._mapping), True
    # ON CONFLICT rather than look-then-insert: two requests with one key race safely.
    created = (
        await session.execute(
            pg_insert(imports)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_imports_idempotency_key")
            .returning(imports)
        )
    ).one_or_none()
    if created is not None:
        return dict(created._mapping), True
    earlier = (
        (
            await session.execute(
                select(imports).where(
                    imports.c.tenant == tenant, imports.c.idempotency_key == idempotency_key
                )
            )
        )
        .mappings()
        .one()
    )
    if earlier["kind"] != kind or earlier["file_sha256"] != file_sha256:
        raise Problem(
            409,
            "idempotency-key-reused",
            "Idempotency key already used",
            f"Import {earlier['id']} used this key for another file. Use a new key.",
            import_id=str(earlier["id"]),
        )
    return dict(earlier), False


async def load_import(session: AsyncSession, tenant: str, import_id: uuid.UUID) -> dict[str, Any]:
    row = (
        (
            await session.execute(
                select(imports).where(imports.c.tenant == tenant, imports.c.id == import_id)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise not_found(import_id)
    return dict(row)


async def list_imports(
    session: AsyncSession,
    *,
    tenant: str,
    kind: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where = [imports.c.tenant == tenant]
    if kind is not None:
        where.append(imports.c.kind == kind)
    if status is not None:
        where.append(imports.c.status == status)
    total = (
        await session.execute(select(func.count()).select_from(imports).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(imports)
        .where(*where)
        .order_by(imports.c.created_at.desc(), imports.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def set_status_in_tx(session: AsyncSession, import_id: uuid.UUID, status: str) -> None:
    await session.execute(update(imports).where(imports.c.id == import_id).values(status=status))


async def record_progress_in_tx(
    session: AsyncSession, import_id: uuid.UUID, counts: Counts
) -> None:
    """Add a chunk's counts; in the chunk's own transaction, so progress and data agree."""
    await session.execute(
        update(imports)
        .where(imports.c.id == import_id)
        .values(
            processed_rows=imports.c.processed_rows + counts.processed,
            created_count=imports.c.created_count + counts.created,
            updated_count=imports.c.updated_count + counts.updated,
            unchanged_count=imports.c.unchanged_count + counts.unchanged,
        )
    )


async def finish_in_tx(
    session: AsyncSession,
    import_id: uuid.UUID,
    status: str,
    *,
    report: list[LineError] | None = None,
    rejected: int = 0,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": now(), "rejected_count": rejected}
    if report is not None:
        values["report"] = list(report[:REPORT_LIMIT])
    await session.execute(update(imports).where(imports.c.id == import_id).values(**values))
