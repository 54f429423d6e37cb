"""/v1/members."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from federa.members.http.schemas import MemberCreate, MemberPage, MemberRead
from federa.members.registration import get_member, list_members, register_member_in_tx
from federa.shared.auth import Principal, requires
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/members", tags=["members"])

Reader = Annotated[Principal, Depends(requires("members:read"))]
Writer = Annotated[Principal, Depends(requires("members:write"))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberRead)
async def register_member(body: MemberCreate, principal: Writer, runtime: RuntimeDep) -> MemberRead:
    """Register a member: a member number from the tenant's sequence, then
    `federa.members.member.registered.v1` on the bus."""
    async with runtime.db.transaction() as session:
        row = await register_member_in_tx(session, request=body, principal=principal)
    return MemberRead.model_validate(row)


@router.get("/{member_id}", response_model=MemberRead)
async def read_member(member_id: UUID, principal: Reader, runtime: RuntimeDep) -> MemberRead:
    async with runtime.db.sessions() as session:
        row = await get_member(session, tenant=principal.tenant, member_id=member_id)
    if row is None:
        raise Problem(404, "member-not-found", "Member not found", f"No member {member_id}.")
    return MemberRead.model_validate(dict(row))


@router.get("", response_model=MemberPage)
async def browse_members(
    principal: Reader,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MemberPage:
    async with runtime.db.sessions() as session:
        rows, total = await list_members(
            session, tenant=principal.tenant, limit=limit, offset=offset
        )
    return MemberPage(
        items=[MemberRead.model_validate(dict(r)) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
