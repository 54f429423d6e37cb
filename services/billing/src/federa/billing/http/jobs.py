"""/v1/jobs: billing's daily jobs, run by hand for a given day. Their routers' lifespan starts
them in every billing process (nested inside the service's own, so the database is migrated
first)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel

from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.subscriptions.scheduled_stops import daily_stops, publish_due_stops
from federa.shared.auth import Principal, requires
from federa.shared.service import RuntimeDep

# Running jobs by hand is the superuser's; no other role holds this permission.
JobRunner = Annotated[Principal, Depends(requires("billing:jobs:run"))]


@asynccontextmanager
async def _daily(app: FastAPI) -> AsyncIterator[None]:
    async with daily_stops(app.state.runtime.db):
        yield


router = APIRouter(
    prefix="/v1/jobs",
    tags=["jobs"],
    route_class=BillingRoute,
    responses=PROBLEMS,
    lifespan=_daily,
)


class StopRunRead(BaseModel):
    on: date
    published: int
    failed: list[UUID]


@router.post("/scheduled-stops", response_model=StopRunRead)
async def scheduled_stops(
    principal: JobRunner,
    runtime: RuntimeDep,
    on: Annotated[date | None, Query(description="The day to run for; today if left out")] = None,
) -> StopRunRead:
    """Publish `billing.subscription.stopped` for the caller's tenant's stops dated `on` or
    earlier that have not been published (it also runs at start and every night)."""
    run = await publish_due_stops(runtime.db, on or date.today(), principal.tenant)
    return StopRunRead(on=run.on, published=run.published, failed=run.failed)
