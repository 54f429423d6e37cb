"""/v1/members: register, read, change, list; status and leaving; history."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from federa.members.http.dependencies import Reader, Writer
from federa.members.http.schemas import (
    HistoryEntry,
    Leave,
    MemberCreate,
    MemberPage,
    MemberRead,
    MemberUpdate,
    StatusChange,
)
from federa.members.maintenance import change_status_in_tx, leave_in_tx, update_member_in_tx
from federa.members.member_store import load_visible
from federa.members.registration import register_member_in_tx
from federa.members.scope import scope_of, visible_members
from federa.members.storage.tables import affiliations, member_history, members
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/members", tags=["members"])

CONFLICTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Probable duplicate (with candidates) or external id in use"},
    422: {"description": "Invalid field, unknown reference code or organisation"},
}


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=MemberRead, responses=CONFLICTS
)
async def register_member(body: MemberCreate, principal: Writer, runtime: RuntimeDep) -> MemberRead:
    """Register a member: duplicate check, a member number from the tenant's sequence,
    affiliation to the named or the caller's organisation and every organisation above it,
    the default office, then `member.registered` on the bus."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await register_member_in_tx(session, request=body, principal=principal, scope=scope)
    return MemberRead.model_validate(row)


@router.get("/{member_id}", response_model=MemberRead)
async def read_member(member_id: UUID, principal: Reader, runtime: RuntimeDep) -> MemberRead:
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        row = await load_visible(session, scope, member_id)
    return MemberRead.model_validate(row)


@router.patch("/{member_id}", response_model=MemberRead, responses=CONFLICTS)
async def update_member(
    member_id: UUID, body: MemberUpdate, principal: Writer, runtime: RuntimeDep
) -> MemberRead:
    """Change member data; only the fields sent change. An address change reaches the
    household's secondaries unless they opted out."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await update_member_in_tx(
            session, scope=scope, member_id=member_id, request=body, actor=principal.subject
        )
    return MemberRead.model_validate(row)


@router.post("/{member_id}/status", response_model=MemberRead)
async def change_status(
    member_id: UUID, body: StatusChange, principal: Writer, runtime: RuntimeDep
) -> MemberRead:
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await change_status_in_tx(
            session, scope=scope, member_id=member_id, request=body, actor=principal.subject
        )
    return MemberRead.model_validate(row)


@router.post("/{member_id}/leave", response_model=MemberRead)
async def leave(member_id: UUID, body: Leave, principal: Writer, runtime: RuntimeDep) -> MemberRead:
    """The member leaves on a date with a reason; affiliations and offices end then."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        row = await leave_in_tx(
            session, scope=scope, member_id=member_id, request=body, actor=principal.subject
        )
    return MemberRead.model_validate(row)


@router.get("/{member_id}/history", response_model=list[HistoryEntry])
async def history(member_id: UUID, principal: Reader, runtime: RuntimeDep) -> list[HistoryEntry]:
    """Every change to the member: version, what changed from what to what, who, when."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        await load_visible(session, scope, member_id)
        rows = await session.execute(
            select(member_history)
            .where(member_history.c.member_id == member_id)
            .order_by(member_history.c.version)
        )
        return [HistoryEntry.model_validate(dict(r)) for r in rows.mappings()]


@router.get("", response_model=MemberPage)
async def list_members(
    principal: Reader,
    runtime: RuntimeDep,
    member_number: int | None = None,
    status_: Annotated[str | None, Query(alias="status")] = None,
    postcode: str | None = None,
    tag: str | None = None,
    organisation_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MemberPage:
    """Members the caller may see, in member-number order, filtered and paginated."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        where = [visible_members(scope)]
        if member_number is not None:
            where.append(members.c.member_number == member_number)
        if status_ is not None:
            where.append(members.c.status == status_)
        if postcode is not None:
            where.append(members.c.postcode == postcode)
        if tag is not None:
            where.append(members.c.tags.contains([tag]))  # can use the GIN index
        if organisation_id is not None:
            where.append(
                members.c.id.in_(
                    select(affiliations.c.member_id).where(
                        affiliations.c.organisation_id == organisation_id
                    )
                )
            )
        total = (
            await session.execute(select(func.count()).select_from(members).where(*where))
        ).scalar_one()
        rows = await session.execute(
            select(members)
            .where(*where)
            .order_by(members.c.member_number)
            .limit(limit)
            .offset(offset)
        )
        items = [MemberRead.model_validate(dict(r)) for r in rows.mappings()]
    return MemberPage(items=items, total=int(total), limit=limit, offset=offset)
