"""/v1/organisations: the tree of federation, regions, branches and sections."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status

from federa.members.domain.tree import ancestor_ids
from federa.members.http.dependencies import Organiser, Reader
from federa.members.http.tree_schemas import (
    OrganisationAreas,
    OrganisationCreate,
    OrganisationMove,
    OrganisationPage,
    OrganisationRead,
    OrganisationUpdate,
)
from federa.members.organisations import (
    areas_of,
    create_organisation_in_tx,
    list_organisations,
    load_organisation,
    move_organisation_in_tx,
    set_areas_in_tx,
    update_organisation_in_tx,
)
from federa.members.scope import scope_of
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


def _read(row: dict[str, Any]) -> OrganisationRead:
    return OrganisationRead.model_validate({**row, "ancestor_ids": ancestor_ids(row["path"])})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganisationRead)
async def create_organisation(
    body: OrganisationCreate, principal: Organiser, runtime: RuntimeDep
) -> OrganisationRead:
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await create_organisation_in_tx(
            session,
            scope=scope,
            values=body.model_dump(exclude={"parent_id"}),
            parent_id=body.parent_id,
        )
    return _read(row)


@router.get("", response_model=OrganisationPage)
async def browse_organisations(
    principal: Reader,
    runtime: RuntimeDep,
    parent_id: UUID | None = None,
    organisation_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OrganisationPage:
    """Organisations in the caller's subtrees, depth-first."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        rows, total = await list_organisations(
            session,
            scope=scope,
            parent_id=parent_id,
            organisation_type=organisation_type,
            limit=limit,
            offset=offset,
        )
    return OrganisationPage(items=[_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{organisation_id}", response_model=OrganisationRead)
async def read_organisation(
    organisation_id: UUID, principal: Reader, runtime: RuntimeDep
) -> OrganisationRead:
    async with runtime.db.sessions() as session:
        row = await load_organisation(session, await scope_of(session, principal), organisation_id)
    return _read(row)


@router.patch("/{organisation_id}", response_model=OrganisationRead)
async def update_organisation(
    organisation_id: UUID, body: OrganisationUpdate, principal: Organiser, runtime: RuntimeDep
) -> OrganisationRead:
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await update_organisation_in_tx(
            session,
            scope=scope,
            organisation_id=organisation_id,
            values=body.model_dump(exclude_unset=True),
        )
    return _read(row)


@router.post("/{organisation_id}/move", response_model=OrganisationRead)
async def move_organisation(
    organisation_id: UUID, body: OrganisationMove, principal: Organiser, runtime: RuntimeDep
) -> OrganisationRead:
    """Move the organisation and its subtree under another parent; members' ancestor
    affiliations follow. A move beneath itself is refused (409)."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await move_organisation_in_tx(
            session,
            scope=scope,
            organisation_id=organisation_id,
            new_parent_id=body.parent_id,
            actor=principal.subject,
        )
    return _read(row)


@router.get("/{organisation_id}/areas", response_model=OrganisationAreas)
async def read_areas(
    organisation_id: UUID, principal: Reader, runtime: RuntimeDep
) -> OrganisationAreas:
    async with runtime.db.sessions() as session:
        await load_organisation(session, await scope_of(session, principal), organisation_id)
        areas = await areas_of(session, organisation_id)
    return OrganisationAreas(postcodes=areas["postcode"], municipalities=areas["municipality"])


@router.put("/{organisation_id}/areas", response_model=OrganisationAreas)
async def set_areas(
    organisation_id: UUID, body: OrganisationAreas, principal: Organiser, runtime: RuntimeDep
) -> OrganisationAreas:
    """Postcodes and municipalities the organisation covers: new members living there are
    affiliated to it."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await set_areas_in_tx(
            session,
            scope=scope,
            organisation_id=organisation_id,
            postcodes=body.postcodes,
            municipalities=body.municipalities,
        )
        areas = await areas_of(session, organisation_id)
    return OrganisationAreas(postcodes=areas["postcode"], municipalities=areas["municipality"])
