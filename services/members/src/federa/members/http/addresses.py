"""/v1/members/{id}/addresses: alternative addresses; /v1/jobs/promote-addresses: the job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from federa.members.alternative_addresses import (
    add_in_tx,
    daily_promotion,
    list_in_tx,
    promote_due_addresses,
    remove_in_tx,
)
from federa.members.http.dependencies import Reader, Writer
from federa.members.http.schemas import EMAIL_PATTERN, PHONE_PATTERN, POSTCODE_PATTERN, Code
from federa.members.registration import compose_address
from federa.members.scope import scope_of
from federa.shared.auth import Principal, requires
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/members/{member_id}/addresses", tags=["alternative addresses"])

# Running jobs by hand is the superuser's; no other role holds this permission.
JobRunner = Annotated[Principal, Depends(requires("members:jobs:run"))]


@asynccontextmanager
async def _nightly(app: FastAPI) -> AsyncIterator[None]:
    # Nested inside the service's own lifespan: the database is migrated when this starts.
    async with daily_promotion(app.state.runtime.db):
        yield


jobs_router = APIRouter(prefix="/v1/jobs", tags=["jobs"], lifespan=_nightly)


class AddressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    address_type: Code
    name: str | None = Field(default=None, max_length=100)
    name_2: str | None = Field(default=None, max_length=100)
    street_name: str | None = Field(default=None, max_length=60)
    street_no: str | None = Field(default=None, max_length=10)
    street_letter: str | None = Field(default=None, max_length=4)
    floor: str | None = Field(default=None, max_length=10)
    floor_side: str | None = Field(default=None, max_length=10)
    address: str | None = Field(
        default=None, max_length=100, description="One line; composed from the street fields."
    )
    address_2: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, pattern=POSTCODE_PATTERN)
    city: str | None = Field(default=None, max_length=60)
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    primary_from: date | None = Field(
        default=None,
        description="From this day it is the member's address; today or earlier: at once.",
    )

    def row_fields(self) -> dict[str, Any]:
        if not (self.address or self.street_name):
            raise Problem(
                422,
                "validation-error",
                "Invalid request",
                "An alternative address needs address or street_name.",
                errors=[{"field": "address", "message": "address or street_name is required"}],
            )
        fields = self.model_dump()
        line = compose_address(fields)
        for split in ("street_name", "street_no", "street_letter", "floor", "floor_side"):
            fields.pop(split)
        fields["address"] = line
        if fields["email"]:
            fields["email"] = fields["email"].lower()
        return fields


class AddressRead(BaseModel):
    id: UUID
    member_id: UUID
    # What a subscription's delivery address number in billing points at.
    address_no: int
    address_type: str
    name: str | None
    name_2: str | None
    address: str
    address_2: str | None
    postcode: str | None
    city: str | None
    country_code: str
    email: str | None
    phone: str | None
    primary_from: date | None
    promoted_at: datetime | None
    created_at: datetime
    created_by: str


class PromotionRead(BaseModel):
    on: date
    members: int
    promoted: int
    failed: list[UUID]


@router.get("", response_model=list[AddressRead])
async def list_addresses(
    member_id: UUID, principal: Reader, runtime: RuntimeDep
) -> list[AddressRead]:
    """Every alternative address, promoted ones included, by primary-from date."""
    async with runtime.db.sessions() as session:
        rows = await list_in_tx(session, await scope_of(session, principal), member_id)
    return [AddressRead.model_validate(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AddressRead)
async def add_address(
    member_id: UUID, body: AddressCreate, principal: Writer, runtime: RuntimeDep
) -> AddressRead:
    """Add an alternative address (`address_type` from the reference table). With a
    `primary_from` it becomes the member's address on that day, or now if that day has come."""
    fields = body.row_fields()
    async with runtime.db.transaction() as session:
        row = await add_in_tx(
            session,
            scope=await scope_of(session, principal),
            member_id=member_id,
            fields=fields,
            actor=principal.subject,
            today=date.today(),
        )
    return AddressRead.model_validate(row)


@router.delete("/{address_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_address(
    member_id: UUID, address_id: UUID, principal: Writer, runtime: RuntimeDep
) -> Response:
    """Remove an alternative address; one that became the primary address stays (409)."""
    async with runtime.db.transaction() as session:
        await remove_in_tx(
            session,
            scope=await scope_of(session, principal),
            member_id=member_id,
            address_id=address_id,
            actor=principal.subject,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@jobs_router.post("/promote-addresses", response_model=PromotionRead)
async def promote_addresses(
    principal: JobRunner,
    runtime: RuntimeDep,
    on: Annotated[
        date | None, Query(description="The day to promote for; today if left out")
    ] = None,
) -> PromotionRead:
    """Run the promotion job for the caller's tenant now (it also runs every night)."""
    run = await promote_due_addresses(runtime.db, on or date.today(), principal.tenant)
    return PromotionRead(on=run.on, members=run.members, promoted=run.promoted, failed=run.failed)
