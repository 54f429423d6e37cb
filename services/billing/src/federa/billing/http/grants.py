"""/v1 allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*): the grant
rules, each organisation's grant profile (its area), and the grant batches."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, Field

from federa.billing.domain.allocation_grants import GrantRules
from federa.billing.grants.profiles import grant_profile, save_grant_profile_in_tx
from federa.billing.grants.rules import (
    DEFAULT_MEMBER_STATUSES,
    StoredRules,
    revisions_of,
    rules_of,
    save_rules_in_tx,
)
from federa.billing.grants.store import (
    Batch,
    approve_in_tx,
    calculate_in_tx,
    discard_in_tx,
    list_batches,
    list_grants,
    load_batch,
    load_grant,
)
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.scope import scope_of
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1", tags=["allocation grants"], route_class=BillingRoute, responses=PROBLEMS
)

Amount = Annotated[int | None, Field(ge=0)]


class GrantRulesBody(Body):
    """The *Rådighedsberegningsopsætning*. Amounts in minor units; blank (null) means "not
    filled in" and falls through to the next rule, 0 is filled in."""

    org_type_1: str | None = Field(default=None, min_length=1, max_length=50)
    org_type_2: str | None = Field(default=None, min_length=1, max_length=50)
    # Members at or above it make a type-1 organisation large.
    min_members: int | None = Field(default=None, ge=1)
    base_amount_large_type1: Amount = None
    amount_per_member: Amount = None
    base_amount_small_type1: Amount = None
    amount_type2: Amount = None
    amount_per_type1_org: Amount = None
    amount_per_km2: Amount = None
    # The member statuses that count as members of an organisation.
    member_statuses: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: list(DEFAULT_MEMBER_STATUSES), min_length=1, max_length=50
    )

    def rules(self) -> GrantRules:
        return GrantRules(**self.model_dump(exclude={"member_statuses"}))


class GrantRulesRead(GrantRulesBody):
    version: int
    updated_at: datetime | None
    updated_by: str | None


class GrantRulesRevision(BaseModel):
    version: int
    rules: dict[str, Any]
    changed_fields: list[str]
    changed_at: datetime
    changed_by: str


class GrantProfileBody(Body):
    area_km2: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=3)


class GrantProfileRead(BaseModel):
    organisation_id: UUID
    name: str
    organisation_type: str | None
    area_km2: Decimal | None
    version: int
    updated_at: datetime | None
    updated_by: str | None


class GrantBatchCreate(Body):
    reference_date: date


class GrantRead(BaseModel):
    id: UUID
    batch_id: UUID
    organisation_id: UUID
    organisation_name: str | None
    organisation_type: str
    type_no: int
    reference_date: date
    members: int
    area_km2: Decimal | None
    # large_type1 | small_type1 | type2 | per_type1_organisation | per_km2 | none
    rule: str
    explanation: str
    currency: str
    amount: int
    status: str | None = None


class GrantBatchRead(BaseModel):
    id: UUID
    reference_date: date
    currency: str
    # calculated | approved (approving publishes the grants for payout)
    status: str
    rules: dict[str, Any]
    rules_version: int
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str | None
    grant_count: int
    total: int
    grants: list[GrantRead] | None = None


class GrantBatchPage(BaseModel):
    items: list[GrantBatchRead]
    total: int
    limit: int
    offset: int


class GrantPage(BaseModel):
    items: list[GrantRead]
    total: int
    limit: int
    offset: int


def _rules_read(stored: StoredRules) -> GrantRulesRead:
    return GrantRulesRead(
        **stored.as_json(),
        version=stored.version,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def _batch_read(row: dict[str, Any], grants: list[dict[str, Any]]) -> GrantBatchRead:
    found = [GrantRead.model_validate({**g, "status": row["status"]}) for g in grants]
    return GrantBatchRead.model_validate(
        {**row, "grant_count": len(found), "total": sum(g.amount for g in found), "grants": found}
    )


def _from(batch: Batch) -> GrantBatchRead:
    return _batch_read(batch.row, batch.grants)


@router.get("/allocation-grant-rules", response_model=GrantRulesRead)
async def read_rules(principal: Reader, runtime: RuntimeDep) -> GrantRulesRead:
    """The tenant's grant rules; version 0 with every parameter blank before the first save."""
    async with runtime.db.sessions() as session:
        return _rules_read(await rules_of(session, principal.tenant))


@router.put("/allocation-grant-rules", response_model=GrantRulesRead)
async def save_rules(
    body: GrantRulesBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> GrantRulesRead:
    """Replaces the rules as a new version (kept in `/allocation-grant-rules/revisions`) and
    publishes `billing.allocation_grant_rules.updated`; a save that changes nothing changes
    no version. Rules that could never decide as meant (a size amount without `min_members`,
    an amount for a type that is not set, one type twice) are 422 `invalid-grant-rules`."""
    async with runtime.db.transaction() as session:
        stored = await save_rules_in_tx(
            session,
            principal.tenant,
            body.rules(),
            tuple(body.member_statuses),
            actor=principal.subject,
        )
    return _rules_read(stored)


@router.get("/allocation-grant-rules/revisions", response_model=list[GrantRulesRevision])
async def rule_revisions(
    principal: Reader,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[GrantRulesRevision]:
    """Every saved version of the rules, newest first, with who changed which fields."""
    async with runtime.db.sessions() as session:
        rows = await revisions_of(session, principal.tenant, limit=limit, offset=offset)
    return [GrantRulesRevision.model_validate(r) for r in rows]


@router.get("/organisations/{organisation_id}/grant-profile", response_model=GrantProfileRead)
async def read_profile(
    organisation_id: UUID, principal: Reader, runtime: RuntimeDep
) -> GrantProfileRead:
    """The organisation's type (from the members service) and area (billing's own)."""
    async with runtime.db.sessions() as session:
        row = await grant_profile(session, await scope_of(session, principal), organisation_id)
    return GrantProfileRead.model_validate(row)


@router.put("/organisations/{organisation_id}/grant-profile", response_model=GrantProfileRead)
async def save_profile(
    organisation_id: UUID, body: GrantProfileBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> GrantProfileRead:
    """Sets the area (km², up to three decimals, null to clear) the per-km² rule uses; an
    organisation billing does not know or outside the caller's is 404."""
    async with runtime.db.transaction() as session:
        row = await save_grant_profile_in_tx(
            session,
            await scope_of(session, principal),
            organisation_id,
            body.area_km2,
            actor=principal.subject,
        )
    return GrantProfileRead.model_validate(row)


@router.post(
    "/allocation-grant-batches",
    status_code=status.HTTP_201_CREATED,
    response_model=GrantBatchRead,
    responses={200: {"description": "The batch this reference date (or key) made before"}},
)
async def calculate(
    body: GrantBatchCreate,
    principal: RunOperator,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> GrantBatchRead:
    """`Udbetal rådighedsbeløb`, first step: one grant per organisation of the rules' types,
    from the members billing counts now in each organisation's subtree; stored as a
    `calculated` batch, nothing published. The same reference date (or `Idempotency-Key`)
    again returns the first batch (200); the key with another date is 422; no organisation
    type set up is 409 `grant-rules-missing`."""
    async with runtime.db.transaction() as session:
        batch = await calculate_in_tx(
            session,
            principal.tenant,
            body.reference_date,
            actor=principal.subject,
            idempotency_key=idempotency_key,
        )
    if not batch.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/allocation-grant-batches/{batch.row['id']}"
    return _from(batch)


@router.get("/allocation-grant-batches", response_model=GrantBatchPage)
async def list_all_batches(
    principal: Reader,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GrantBatchPage:
    """The tenant's batches, newest reference date first; counts and totals of the grants
    the caller may see."""
    async with runtime.db.sessions() as session:
        rows, total = await list_batches(
            session, await scope_of(session, principal), limit=limit, offset=offset
        )
    return GrantBatchPage(
        items=[GrantBatchRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/allocation-grant-batches/{batch_id}", response_model=GrantBatchRead)
async def read_batch(batch_id: UUID, principal: Reader, runtime: RuntimeDep) -> GrantBatchRead:
    """One batch with the grants of the caller's organisations."""
    async with runtime.db.sessions() as session:
        row = await load_batch(session, await scope_of(session, principal), batch_id)
    return _batch_read(row, row.pop("grants"))


@router.post("/allocation-grant-batches/{batch_id}/approve", response_model=GrantBatchRead)
async def approve(batch_id: UUID, principal: RunOperator, runtime: RuntimeDep) -> GrantBatchRead:
    """Approves the batch for payout: `billing.allocation_grant.calculated` per grant with an
    amount above 0 (payments pays them out). Approving an approved batch changes nothing."""
    async with runtime.db.transaction() as session:
        batch = await approve_in_tx(session, principal.tenant, batch_id, actor=principal.subject)
    return _from(batch)


@router.delete("/allocation-grant-batches/{batch_id}", status_code=status.HTTP_204_NO_CONTENT)
async def discard(batch_id: UUID, principal: RunOperator, runtime: RuntimeDep) -> Response:
    """Discards a batch not approved yet, so its reference date can be calculated again
    (after correcting the rules or an area); an approved batch is 409."""
    async with runtime.db.transaction() as session:
        await discard_in_tx(session, principal.tenant, batch_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/allocation-grants", response_model=GrantPage)
async def list_all_grants(
    principal: Reader,
    runtime: RuntimeDep,
    reference_date: date | None = None,
    organisation_id: UUID | None = None,
    batch_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GrantPage:
    """Grants of the caller's organisations (all for the federation), newest date first."""
    async with runtime.db.sessions() as session:
        rows, total = await list_grants(
            session,
            await scope_of(session, principal),
            reference_date=reference_date,
            organisation_id=organisation_id,
            batch_id=batch_id,
            limit=limit,
            offset=offset,
        )
    return GrantPage(
        items=[GrantRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/allocation-grants/{grant_id}", response_model=GrantRead)
async def read_grant(grant_id: UUID, principal: Reader, runtime: RuntimeDep) -> GrantRead:
    async with runtime.db.sessions() as session:
        row = await load_grant(session, await scope_of(session, principal), grant_id)
    return GrantRead.model_validate(row)
