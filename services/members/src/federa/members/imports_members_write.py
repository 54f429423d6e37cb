"""Importing members, phase 2: chunk by chunk, one transaction per chunk.

New members (external id not seen before in the tenant) take the bulk path
(`imports_new_members`): a block of member numbers, one COPY per table, the outbox rows at
once. Members the file names by an existing external id are brought in line with it through
the API's own code (`imports_members_update`).

Decision: no duplicate check on import (SPEC §2.1 rule 1 is for a clerk typing a member in;
an old system's export is de-duplicated by its external ids, and a probable-duplicate prompt
has nobody to answer it). Reference codes and organisations are checked as by the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import any_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.duplicates import spellings_in_tx
from federa.members.imports_bulk import (
    OutboxWriter,
    allocate_member_numbers_in_tx,
    insert_rows_in_tx,
    record_events_in_tx,
)
from federa.members.imports_csv import CsvFile, Record
from federa.members.imports_members import (
    MemberContext,
    MemberLine,
    check_chunk,
    external_ids_param,
    load_context,
    validate,
)
from federa.members.imports_members_update import (
    open_affiliations_in_tx,
    update_existing_in_tx,
)
from federa.members.imports_new_members import (
    NewMember,
    number_new_members,
    prepare_new_members,
)
from federa.members.imports_store import (
    IMPORTING,
    Counts,
    LineError,
    record_progress_in_tx,
    set_status_in_tx,
)
from federa.members.member_store import now
from federa.members.storage.tables import (
    affiliations,
    member_history,
    members,
    offices,
)
from federa.shared.auth import Principal
from federa.shared.db import Database

# Rows per transaction: large enough for the bulk statements to pay, small enough that a
# chunk's locks (the tenant's member-number row) are held for about a second.
CHUNK_ROWS = 1000
# One import of a tenant writes at a time, so two imports naming one new external id cannot
# both find it missing.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('federa.members.import'), hashtext(:tenant))")


async def _existing_in_tx(
    session: AsyncSession, tenant: str, external_ids: list[str]
) -> dict[str, dict[str, Any]]:
    rows = await session.execute(
        select(members).where(
            members.c.tenant == tenant,
            members.c.external_id == any_(external_ids_param(external_ids)),
        )
    )
    return {r["external_id"]: dict(r) for r in rows.mappings()}


@dataclass
class PreparedChunk:
    lines: list[MemberLine]
    # New members built ahead of the chunk's transaction, by external id.
    new: dict[str, NewMember]
    outbox: OutboxWriter


async def _taken(db: Database, tenant: str, external_ids: list[str]) -> set[str]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(members.c.external_id).where(
                members.c.tenant == tenant,
                members.c.external_id == any_(external_ids_param(external_ids)),
            )
        )
        return set(rows.scalars())


async def prepare_chunk(db: Database, ctx: MemberContext, records: list[Record]) -> PreparedChunk:
    """Validate a chunk's lines and build its new members, outside any transaction.

    Which members are new is only a guess here (a member registered meanwhile is found in the
    chunk's transaction and updated instead); it spares building members that exist.
    """
    lines = await asyncio.to_thread(check_chunk, records, ctx)
    taken = await _taken(db, ctx.tenant, [x.external_id for x in lines])
    outbox = OutboxWriter()
    fresh = [x for x in lines if x.external_id not in taken]
    new = await asyncio.to_thread(prepare_new_members, fresh, ctx, now(), outbox)
    return PreparedChunk(lines, new, outbox)


async def write_chunk(
    db: Database, ctx: MemberContext, import_id: uuid.UUID, chunk: PreparedChunk
) -> Counts:
    async with db.transaction() as session:
        await session.execute(_LOCK, {"tenant": ctx.tenant})
        # Holds the tenant's equivalence table still until commit, as registration does; if
        # it changed since the import began, the new members are keyed by the current one.
        spellings = await spellings_in_tx(session, ctx.tenant)
        existing = await _existing_in_tx(session, ctx.tenant, [x.external_id for x in chunk.lines])
        fresh = [x for x in chunk.lines if x.external_id not in existing]
        unbuilt = [x for x in fresh if x.external_id not in chunk.new]
        if unbuilt:
            chunk.new.update(
                await asyncio.to_thread(prepare_new_members, unbuilt, ctx, now(), chunk.outbox)
            )
        numbers = await allocate_member_numbers_in_tx(session, ctx.tenant, len(fresh))
        batch = await asyncio.to_thread(
            number_new_members,
            [chunk.new[x.external_id] for x in fresh],
            numbers,
            chunk.outbox,
            spellings if spellings != ctx.spellings else None,
        )
        await insert_rows_in_tx(session, members, batch.members)
        await insert_rows_in_tx(session, affiliations, batch.affiliations)
        await insert_rows_in_tx(session, offices, batch.offices)
        await insert_rows_in_tx(session, member_history, batch.history)
        await record_events_in_tx(session, batch.outbox)
        counts = Counts(created=len(fresh))
        open_organisations = await open_affiliations_in_tx(
            session, [row["id"] for row in existing.values()]
        )
        for line in chunk.lines:
            row = existing.get(line.external_id)
            if row is None:
                continue
            if await update_existing_in_tx(session, ctx, line, row, open_organisations[row["id"]]):
                counts.updated += 1
            else:
                counts.unchanged += 1
        await record_progress_in_tx(session, import_id, counts)
    return counts


async def write_all(db: Database, file: CsvFile, ctx: MemberContext, import_id: uuid.UUID) -> None:
    """Chunk after chunk, the next one prepared while the current one is written: the
    database works on one core while this process builds on the other."""
    chunks = file.chunks(CHUNK_ROWS)

    def prepare_next() -> asyncio.Task[PreparedChunk] | None:
        records = next(chunks, None)
        if records is None:
            return None
        return asyncio.create_task(prepare_chunk(db, ctx, records))

    pending = prepare_next()
    try:
        while pending is not None:
            chunk = await pending
            pending = prepare_next()
            await write_chunk(db, ctx, import_id, chunk)
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending


async def import_members(
    db: Database, file: CsvFile, principal: Principal, import_id: uuid.UUID
) -> tuple[list[LineError], int] | None:
    """Validate every line; if all pass, write them. Returns (report, bad lines) if not."""
    ctx = await load_context(db, principal, file.header)
    errors, bad = await validate(db, file, ctx)
    if errors:
        return errors, bad
    async with db.transaction() as session:
        await set_status_in_tx(session, import_id, IMPORTING)
    await write_all(db, file, ctx, import_id)
    return None
