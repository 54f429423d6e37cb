"""Bulk import of members and organisations from CSV (the first step of a federation moving
from an old system).

`start_import` checks the file's shape (a malformed file is refused with a 422 naming the
line), records the import and starts it as a task in this process; the request returns at once.
The task then
1. validates every line by the API's rules; if any line is bad the import is `rejected` with
   a report of every bad line, and nothing at all is written;
2. writes the lines chunk by chunk, one transaction per chunk, adding to `processed_rows`
   and the counts in the same transaction, so `GET /v1/imports/{id}` shows progress that
   matches the data.

Members are idempotent on their external id, organisations on their number or name path:
a line naming one that exists updates it (or counts it unchanged). So an import that died
half-way (its chunks commit separately; its status stays `importing` for good) is completed by
posting the same file again as a new import, without duplicates.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from federa.members import imports_members, imports_organisations
from federa.members.imports_csv import Columns, CsvFile, read_csv
from federa.members.imports_members_write import import_members
from federa.members.imports_organisations_write import import_organisations
from federa.members.imports_store import (
    DONE,
    FAILED,
    REJECTED,
    LineError,
    create_import_in_tx,
    finish_in_tx,
    line_error,
)
from federa.shared.auth import Principal
from federa.shared.db import Database

log = logging.getLogger(__name__)

Importer = Callable[
    [Database, CsvFile, Principal, uuid.UUID], Awaitable[tuple[list[LineError], int] | None]
]
KINDS: dict[str, tuple[Columns, Importer]] = {
    "members": (imports_members.COLUMNS, import_members),
    "organisations": (imports_organisations.COLUMNS, import_organisations),
}
# Running imports, so the event loop keeps a reference to each task until it ends.
_RUNNING: set[asyncio.Task[None]] = set()


async def start_import(
    db: Database,
    principal: Principal,
    *,
    kind: str,
    raw: bytes,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """(the import, True if it is new); an earlier import with the same key is returned as is."""
    columns, importer = KINDS[kind]
    file = await asyncio.to_thread(read_csv, raw, columns)
    async with db.transaction() as session:
        row, new = await create_import_in_tx(
            session,
            tenant=principal.tenant,
            kind=kind,
            file_sha256=hashlib.sha256(raw).hexdigest(),
            idempotency_key=idempotency_key,
            total_rows=file.rows,
            actor=principal.subject,
        )
    if new:
        task = asyncio.create_task(
            run_import(db, importer, file, principal, row["id"]), name=f"import-{row['id']}"
        )
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
    return row, new


async def run_import(
    db: Database, importer: Importer, file: CsvFile, principal: Principal, import_id: uuid.UUID
) -> None:
    try:
        rejection = await importer(db, file, principal, import_id)
    except Exception as exc:
        log.exception("import %s failed", import_id)
        report = [line_error(None, None, f"import failed: {type(exc).__name__}: {exc}")]
        try:
            async with db.transaction() as session:
                await finish_in_tx(session, import_id, FAILED, report=report)
        except Exception:
            # The database is away too: the import stays `importing`, as after a crash.
            log.exception("cannot mark import %s failed", import_id)
        return
    async with db.transaction() as session:
        if rejection is None:
            await finish_in_tx(session, import_id, DONE)
        else:
            report, bad_lines = rejection
            await finish_in_tx(session, import_id, REJECTED, report=report, rejected=bad_lines)
