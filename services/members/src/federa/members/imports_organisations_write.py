"""Importing organisations, phase 2: parents first, a chunk of lines per transaction.

A new organisation keeps the number the file gives it (the tenant's number sequence is moved
above the file's largest number first, so numbers drawn for lines without one never collide)
and is published as organisation.created with its areas. An existing one changes through the
API's own code (`update_organisation_in_tx`, `set_areas_in_tx`) only where the file differs.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.tree import ancestor_ids, path_of
from federa.members.imports_csv import CsvFile
from federa.members.imports_members_write import CHUNK_ROWS
from federa.members.imports_organisations import OrgContext, OrgLine, load_context, validate
from federa.members.imports_store import (
    IMPORTING,
    Counts,
    LineError,
    record_progress_in_tx,
    set_status_in_tx,
)
from federa.members.member_store import now
from federa.members.organisations import (
    CONTACT_FIELDS,
    set_areas_in_tx,
    update_organisation_in_tx,
)
from federa.members.storage.tables import organisation_areas, organisations
from federa.shared.auth import Principal
from federa.shared.contracts.members import ORGANISATION_CREATED, OrganisationStateV1
from federa.shared.db import Database
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

_NEXT_NUMBER = text(
    """
    INSERT INTO organisation_numbers (tenant, last_number) VALUES (:tenant, 1)
    ON CONFLICT (tenant) DO UPDATE SET last_number = organisation_numbers.last_number + 1
    RETURNING last_number
    """
)
_KEEP_ABOVE = text(
    """
    INSERT INTO organisation_numbers (tenant, last_number) VALUES (:tenant, :n)
    ON CONFLICT (tenant)
    DO UPDATE SET last_number = GREATEST(organisation_numbers.last_number, :n)
    """
)
NOT_NULL = frozenset({"name", "organisation_type", "country_code"})
AREA_KINDS = {"postcodes": "postcode", "municipalities": "municipality"}


async def _create_in_tx(
    session: AsyncSession, ctx: OrgContext, x: OrgLine, parent: tuple[uuid.UUID, str] | None
) -> dict[str, Any]:
    number = x.number
    if number is None:
        number = int((await session.execute(_NEXT_NUMBER, {"tenant": ctx.tenant})).scalar_one())
    new_id = uuid.uuid4()
    stamp = now()
    values = x.request.model_dump(exclude={"parent_id"})
    row = {
        **values,
        "country_code": values.get("country_code") or ctx.settings.default_country,
        "id": new_id,
        "tenant": ctx.tenant,
        "organisation_number": number,
        "parent_id": parent[0] if parent else None,
        "path": path_of(parent[1] if parent else None, new_id),
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    await session.execute(insert(organisations).values(**row))
    areas = {kind: x.areas.get(column, []) for column, kind in AREA_KINDS.items()}
    area_rows = [
        {"tenant": ctx.tenant, "organisation_id": new_id, "kind": kind, "code": code}
        for kind, codes in areas.items()
        for code in codes
    ]
    if area_rows:
        await session.execute(insert(organisation_areas).values(area_rows))
    data = OrganisationStateV1(
        organisation_id=new_id,
        organisation_number=number,
        ancestor_ids=ancestor_ids(row["path"]),
        parent_id=row["parent_id"],
        postcodes=areas["postcode"],
        municipality_codes=areas["municipality"],
        **{f: row[f] for f in CONTACT_FIELDS},
    )
    await record_event_in_tx(
        session,
        new_event(
            ORGANISATION_CREATED, data, subject=str(new_id), tenant=ctx.tenant, aggregate_version=1
        ),
    )
    return row


async def _update_in_tx(session: AsyncSession, ctx: OrgContext, x: OrgLine) -> bool:
    """Apply the file's values to an existing organisation; True if anything changed."""
    existing = x.existing
    assert existing is not None
    values: dict[str, Any] = {}
    for column in ctx.header:
        if column not in CONTACT_FIELDS:
            continue
        if column in x.cells:
            values[column] = getattr(x.request, column)
        elif column not in NOT_NULL:
            values[column] = None
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        await update_organisation_in_tx(
            session, scope=ctx.scope, organisation_id=existing["id"], values=changed
        )
    current = ctx.orgs.areas_of.get(existing["id"], {"postcode": [], "municipality": []})
    wanted = {
        kind: x.areas.get(column, sorted(current[kind])) for column, kind in AREA_KINDS.items()
    }
    areas_changed = any(sorted(current[kind]) != wanted[kind] for kind in wanted)
    if areas_changed:
        await set_areas_in_tx(
            session,
            scope=ctx.scope,
            organisation_id=existing["id"],
            postcodes=wanted["postcode"],
            municipalities=wanted["municipality"],
        )
    return bool(changed) or areas_changed


async def import_organisations(
    db: Database, file: CsvFile, principal: Principal, import_id: uuid.UUID
) -> tuple[list[LineError], int] | None:
    """Validate every line and the tree they make; if all pass, write them parents first."""
    ctx = await load_context(db, principal, file.header)
    plan, errors = await validate(file, ctx)
    if errors:
        return errors, len({e["line"] for e in errors})
    async with db.transaction() as session:
        await set_status_in_tx(session, import_id, IMPORTING)
    # Where each line's organisation is (new or existing), for the lines beneath it.
    placed: dict[int, tuple[uuid.UUID, str]] = {}
    for start in range(0, len(plan.lines), CHUNK_ROWS):
        async with db.transaction() as session:
            if plan.max_number:
                await session.execute(_KEEP_ABOVE, {"tenant": ctx.tenant, "n": plan.max_number})
            counts = Counts()
            for x in plan.lines[start : start + CHUNK_ROWS]:
                if x.existing is not None:
                    placed[x.line] = (x.existing["id"], x.existing["path"])
                    if await _update_in_tx(session, ctx, x):
                        counts.updated += 1
                    else:
                        counts.unchanged += 1
                    continue
                parent: tuple[uuid.UUID, str] | None = None
                if isinstance(x.parent, int):
                    parent = placed[x.parent]
                elif x.parent is not None:
                    parent = (x.parent, ctx.orgs.by_id[x.parent]["path"])
                row = await _create_in_tx(session, ctx, x, parent)
                placed[x.line] = (row["id"], row["path"])
                counts.created += 1
            await record_progress_in_tx(session, import_id, counts)
    return None
