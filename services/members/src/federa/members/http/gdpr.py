"""/v1/members/{id}/export and /erase: the data subject's access and erasure rights."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from federa.members.gdpr import erase_in_tx, export_in_tx
from federa.members.http.dependencies import Reader
from federa.members.http.schemas import MemberRead
from federa.members.scope import scope_of
from federa.shared.auth import Principal, requires
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/members/{member_id}", tags=["gdpr"])

# Only the superuser role holds it (SPEC §2.6 MEMBER SUPER: `*`).
Eraser = Annotated[Principal, Depends(requires("members:gdpr:erase"))]


class Erasure(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(
        min_length=1, max_length=500, description="Why, e.g. the data subject's request number."
    )


@router.get("/export")
async def export(member_id: UUID, principal: Reader, runtime: RuntimeDep) -> dict[str, Any]:
    """Everything held about the member: the member row, its history, affiliations, offices,
    alternative addresses, household links and import references."""
    async with runtime.db.sessions() as session:
        return await export_in_tx(session, await scope_of(session, principal), member_id)


@router.post("/erase", response_model=MemberRead)
async def erase(
    member_id: UUID, body: Erasure, principal: Eraser, runtime: RuntimeDep
) -> MemberRead:
    """Pseudonymise the member's personal data for good; number, dates and status stay for
    the accounts. Every other service is told to scrub its copy. Repeating it changes nothing."""
    async with runtime.db.transaction() as session:
        row = await erase_in_tx(
            session,
            scope=await scope_of(session, principal),
            member_id=member_id,
            reason=body.reason,
            actor=principal.subject,
        )
    return MemberRead.model_validate(row)
