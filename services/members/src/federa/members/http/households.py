"""/v1/members/{id}/household: link a member to a primary member, unlink, show the household."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.households import household_of, link_in_tx, unlink_in_tx
from federa.members.http.dependencies import Reader, Writer
from federa.members.http.schemas import MemberRead
from federa.members.scope import Scope, scope_of
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/members/{member_id}/household", tags=["households"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Either member is unknown or outside the caller's organisations"},
    409: {"description": "The link would nest households, or a member was erased"},
    422: {"description": "A member cannot be its own primary member"},
}


class HouseholdLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary_member_id: UUID


class HouseholdRead(BaseModel):
    """The household a member belongs to. `primary` is the head (the member itself when it
    heads one); both are empty for a member on its own. Members outside the caller's
    organisations are left out."""

    primary: MemberRead | None
    secondaries: list[MemberRead]


async def _read(session: AsyncSession, scope: Scope, member_id: UUID) -> HouseholdRead:
    primary, secondaries = await household_of(session, scope, member_id)
    return HouseholdRead(
        primary=MemberRead.model_validate(primary) if primary else None,
        secondaries=[MemberRead.model_validate(s) for s in secondaries],
    )


@router.get("", response_model=HouseholdRead)
async def read_household(member_id: UUID, principal: Reader, runtime: RuntimeDep) -> HouseholdRead:
    async with runtime.db.sessions() as session:
        return await _read(session, await scope_of(session, principal), member_id)


@router.put("", response_model=HouseholdRead, responses=RESPONSES)
async def link(
    member_id: UUID, body: HouseholdLink, principal: Writer, runtime: RuntimeDep
) -> HouseholdRead:
    """Make the member a secondary of `primary_member_id`. It takes the primary's address
    unless `address_sync_disabled`; names follow the tenant's `name_propagation`."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await link_in_tx(
            session,
            scope=scope,
            secondary_id=member_id,
            primary_id=body.primary_member_id,
            actor=principal.subject,
        )
        return await _read(session, scope, member_id)


@router.delete("", response_model=HouseholdRead, responses=RESPONSES)
async def unlink(member_id: UUID, principal: Writer, runtime: RuntimeDep) -> HouseholdRead:
    """Unlink the member from its primary member; its address stays as it is."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await unlink_in_tx(session, scope=scope, secondary_id=member_id, actor=principal.subject)
        return await _read(session, scope, member_id)
