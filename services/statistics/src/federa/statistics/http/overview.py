"""/v1/overview: the headline figures of a tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func, select

from federa.shared.auth import Principal, requires
from federa.shared.service import RuntimeDep
from federa.statistics.storage.tables import members

router = APIRouter(prefix="/v1", tags=["overview"])

Reader = Annotated[Principal, Depends(requires("members:read"))]


class Overview(BaseModel):
    tenant: str
    members: int
    as_of: datetime


@router.get("/overview", response_model=Overview)
async def overview(principal: Reader, runtime: RuntimeDep) -> Overview:
    """Member count of the caller's tenant, as the events so far have told it."""
    async with runtime.db.sessions() as session:
        count = (
            await session.execute(select(func.count()).where(members.c.tenant == principal.tenant))
        ).scalar_one()
    return Overview(tenant=principal.tenant, members=count, as_of=datetime.now(UTC))
