"""/v1/dues-classes and /v1/dues-invoicing: simple dues for tenants without products
(rule 38)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from federa.billing.documents.dues import (
    DuesRequest,
    dues_classes_of,
    run_dues_in_tx,
    save_dues_class_in_tx,
)
from federa.billing.domain.dues import DuesClass
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.scope import scope_of
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["dues"], route_class=BillingRoute, responses=PROBLEMS)


class DuesClassBody(Body):
    description: str = Field(min_length=1, max_length=100)
    amount: int = Field(ge=0, description="Minor units of the tenant's currency")
    account: str | None = Field(default=None, description="Revenue account")


class DuesClassRead(DuesClassBody):
    code: str


class DuesInvoicing(Body):
    """`RunDuesInvoicing` (rule 38). Without member or organisation filters: every member the
    caller sees."""

    type: Literal["invoice", "credit"] = "invoice"
    posting_date: date
    member_ids: list[UUID] = Field(default_factory=list)
    organisation_ids: list[UUID] = Field(
        default_factory=list, description="Members affiliated to any of them (or beneath)"
    )
    dues_class: str | None = Field(
        default=None, description="The class for every member selected; default: their category"
    )


class SkippedMember(BaseModel):
    member_id: UUID
    reason: str


class DuesOutcomeRead(BaseModel):
    documents: int
    document_ids: list[UUID]
    amount: int
    skipped: list[SkippedMember]


@router.get("/dues-classes", response_model=list[DuesClassRead])
async def list_classes(principal: Reader, runtime: RuntimeDep) -> list[DuesClassRead]:
    async with runtime.db.sessions() as session:
        classes = await dues_classes_of(session, principal.tenant)
    return [
        DuesClassRead(code=c.code, description=c.description, amount=c.amount, account=c.account)
        for c in classes.values()
    ]


@router.put("/dues-classes/{code}", response_model=DuesClassRead)
async def save_class(
    code: str, body: DuesClassBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> DuesClassRead:
    """Add or change a dues class (*Kontingentklasse*): code, description, amount, account."""
    if not 1 <= len(code) <= 20:
        raise Problem(422, "invalid-dues-class", "Invalid request", "A code has 1-20 characters.")
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await save_dues_class_in_tx(
            session, principal.tenant, DuesClass(code, body.description, body.amount, body.account)
        )
    return DuesClassRead(code=code, **body.model_dump())


@router.post("/dues-invoicing", response_model=DuesOutcomeRead)
async def invoice_dues(
    body: DuesInvoicing, principal: RunOperator, runtime: RuntimeDep
) -> DuesOutcomeRead:
    """Invoices (or credits) each selected member's dues class amount at the posting date, due
    after the tenant's payment terms; one document per member. Members without a class, with
    an unknown one or without a payer account are reported in `skipped`; a member done
    already for this type and posting date is skipped as `already`, so a repeat issues
    nothing. A named `dues_class` the tenant does not have is 404."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        if body.dues_class is not None and body.dues_class not in await dues_classes_of(
            session, scope.tenant
        ):
            raise Problem(
                404, "unknown-dues-class", "Not found", f"No dues class {body.dues_class}."
            )
        outcome = await run_dues_in_tx(
            session,
            scope,
            DuesRequest(
                body.type,
                body.posting_date,
                tuple(body.member_ids),
                tuple(body.organisation_ids),
                body.dues_class,
            ),
            actor=principal.subject,
        )
    return DuesOutcomeRead(
        documents=len(outcome.document_ids),
        document_ids=outcome.document_ids,
        amount=outcome.amount,
        skipped=[SkippedMember(member_id=m, reason=r) for m, r in outcome.skipped],
    )
