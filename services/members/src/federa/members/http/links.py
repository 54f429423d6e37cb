"""/v1/members/{id}/affiliations and /offices: dated links to organisations."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.affiliations import (
    end_affiliation_in_tx,
    end_office_in_tx,
    start_affiliation_in_tx,
    start_office_in_tx,
)
from federa.members.domain.periods import is_active
from federa.members.http.dependencies import Reader, Writer
from federa.members.http.tree_schemas import (
    AffiliationCreate,
    AffiliationRead,
    EndLink,
    OfficeCreate,
    OfficeRead,
)
from federa.members.member_store import load_visible
from federa.members.organisations import load_organisation
from federa.members.scope import Scope, scope_of
from federa.members.storage.tables import affiliations, offices, organisations
from federa.members.tenancy import require_codes_in_tx
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/members/{member_id}", tags=["affiliations and offices"])


async def _links(
    session: AsyncSession, table: Table, member_id: UUID, include_ended: bool
) -> list[dict[str, Any]]:
    today = date.today()
    rows = await session.execute(
        select(table, organisations.c.name.label("organisation_name"))
        .join(organisations, organisations.c.id == table.c.organisation_id)
        .where(table.c.member_id == member_id)
        .order_by(table.c.from_date, organisations.c.path)
    )
    links = []
    for r in rows.mappings():
        link = {**dict(r), "active": is_active(r["from_date"], r["to_date"], today)}
        if include_ended or link["active"] or r["from_date"] > today:
            links.append(link)
    return links


async def _writable_member(session: AsyncSession, scope: Scope, member_id: UUID) -> dict[str, Any]:
    return await load_visible(session, scope, member_id, for_update=True)


@router.get("/affiliations", response_model=list[AffiliationRead])
async def list_affiliations(
    member_id: UUID, principal: Reader, runtime: RuntimeDep, include_ended: bool = False
) -> list[AffiliationRead]:
    """Current (and future) affiliations; `include_ended=true` shows the history too."""
    async with runtime.db.sessions() as session:
        await load_visible(session, await scope_of(session, principal), member_id)
        rows = await _links(session, affiliations, member_id, include_ended)
    return [AffiliationRead.model_validate(r) for r in rows]


@router.post(
    "/affiliations", status_code=status.HTTP_201_CREATED, response_model=list[AffiliationRead]
)
async def affiliate(
    member_id: UUID, body: AffiliationCreate, principal: Writer, runtime: RuntimeDep
) -> list[AffiliationRead]:
    """Affiliate the member to an organisation; its ancestors are attached too."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await _writable_member(session, scope, member_id)
        await load_organisation(session, scope, body.organisation_id)
        created = await start_affiliation_in_tx(
            session,
            tenant=principal.tenant,
            member_id=member_id,
            organisation_id=body.organisation_id,
            from_date=body.from_date,
            to_date=body.to_date,
            source="manual",
            actor=principal.subject,
        )
        ids = {c["id"] for c in created}
        rows = [r for r in await _links(session, affiliations, member_id, True) if r["id"] in ids]
    return [AffiliationRead.model_validate(r) for r in rows]


@router.post("/affiliations/{affiliation_id}/end", response_model=list[AffiliationRead])
async def end_affiliation(
    member_id: UUID, affiliation_id: UUID, body: EndLink, principal: Writer, runtime: RuntimeDep
) -> list[AffiliationRead]:
    """End an affiliation; ancestor affiliations nothing else implies end with it."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await _writable_member(session, scope, member_id)
        await _owned(session, affiliations, affiliation_id, member_id, scope)
        ended = await end_affiliation_in_tx(
            session, tenant=principal.tenant, affiliation_id=affiliation_id, to_date=body.to_date
        )
        ids = {e["id"] for e in ended}
        rows = [r for r in await _links(session, affiliations, member_id, True) if r["id"] in ids]
    return [AffiliationRead.model_validate(r) for r in rows]


@router.get("/offices", response_model=list[OfficeRead])
async def list_offices(
    member_id: UUID, principal: Reader, runtime: RuntimeDep, include_ended: bool = False
) -> list[OfficeRead]:
    async with runtime.db.sessions() as session:
        await load_visible(session, await scope_of(session, principal), member_id)
        rows = await _links(session, offices, member_id, include_ended)
    return [OfficeRead.model_validate(r) for r in rows]


@router.post("/offices", status_code=status.HTTP_201_CREATED, response_model=OfficeRead)
async def start_office(
    member_id: UUID, body: OfficeCreate, principal: Writer, runtime: RuntimeDep
) -> OfficeRead:
    """The member takes an office (chair, treasurer, coach…) in an organisation."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await _writable_member(session, scope, member_id)
        await load_organisation(session, scope, body.organisation_id)
        await require_codes_in_tx(
            session, principal.tenant, {"office_type": ("office_type", body.office_type)}
        )
        row = await start_office_in_tx(
            session,
            tenant=principal.tenant,
            member_id=member_id,
            organisation_id=body.organisation_id,
            office_type=body.office_type,
            from_date=body.from_date,
            to_date=body.to_date,
            note=body.note,
            actor=principal.subject,
        )
        [read] = [
            r for r in await _links(session, offices, member_id, True) if r["id"] == row["id"]
        ]
    return OfficeRead.model_validate(read)


@router.post("/offices/{office_id}/end", response_model=OfficeRead)
async def end_office(
    member_id: UUID, office_id: UUID, body: EndLink, principal: Writer, runtime: RuntimeDep
) -> OfficeRead:
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await _writable_member(session, scope, member_id)
        await _owned(session, offices, office_id, member_id, scope)
        await end_office_in_tx(
            session, tenant=principal.tenant, office_id=office_id, to_date=body.to_date
        )
        [read] = [
            r for r in await _links(session, offices, member_id, True) if r["id"] == office_id
        ]
    return OfficeRead.model_validate(read)


async def _owned(
    session: AsyncSession, table: Table, link_id: UUID, member_id: UUID, scope: Scope
) -> None:
    found = await session.execute(
        select(table.c.id).where(
            table.c.id == link_id, table.c.member_id == member_id, table.c.tenant == scope.tenant
        )
    )
    if found.one_or_none() is None:
        raise Problem(
            404, "link-not-found", "Not found", f"No {table.name[:-1]} {link_id} for this member."
        )
