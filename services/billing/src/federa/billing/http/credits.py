"""Credit memos from the API: /v1/subscriptions/{id}/credit-latest (rule 14) and
/v1/mass-credits (rule 37)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from federa.billing.documents.credits import credit_latest_in_tx
from federa.billing.documents.mass_credit import (
    MassCreditRequest,
    load_mass_credit,
    plan_in_tx,
    run_mass_credit,
)
from federa.billing.documents.queries import document_lines_of, load_document
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import Reader, SubscriptionWriter
from federa.billing.http.documents import document_read
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.run_schemas import DocumentRead
from federa.billing.scope import scope_of
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["credits"], route_class=BillingRoute, responses=PROBLEMS)


class CreditLatest(Body):
    posting_date: date | None = Field(default=None, description="Default: today")


@router.post(
    "/subscriptions/{subscription_id}/credit-latest",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentRead,
)
async def credit_latest(
    subscription_id: UUID,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
    body: CreditLatest | None = None,
) -> DocumentRead:
    """`CreditLatestDocument` (rule 14): the subscription's latest invoice is credited whole,
    the other subscriptions on it included; each credited period that was a subscription's
    latest is unbilled again. Publishes `billing.credit_memo.issued`. 409 when the latest
    document is an open order (delete it instead) or credited already."""
    posting_date = (body.posting_date if body else None) or date.today()
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        issued = await credit_latest_in_tx(
            session, scope, subscription_id, posting_date=posting_date, actor=principal.subject
        )
        memo_id = issued.draft.id
        row = await load_document(session, scope, memo_id)
        lines = await document_lines_of(session, memo_id)
    return document_read(row, lines)


class MassCreditCreate(Body):
    """`MassCreditProduct` (rule 37)."""

    product: str
    posting_from: date
    posting_to: date
    document_date: date = Field(description="The credit memos' posting date")
    description: str = Field(min_length=1, max_length=200, description="Text of every line")


class MassCreditRead(BaseModel):
    id: UUID
    product: str
    posting_from: date
    posting_to: date
    document_date: date
    description: str
    status: str
    documents_total: int
    documents_done: int
    credit_memos: int
    amount: int
    created_at: datetime
    created_by: str
    finished_at: datetime | None


@router.post(
    "/mass-credits",
    status_code=status.HTTP_201_CREATED,
    response_model=MassCreditRead,
    responses={200: {"description": "The mass credit an earlier request with this key made"}},
)
async def mass_credit(
    body: MassCreditCreate,
    principal: RunOperator,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> MassCreditRead:
    """Credits every posted invoice line of `product` whose invoice was posted in the range,
    without new charges: one credit memo per invoice (`billing.credit_memo.issued`, reason
    `mass_credit`), in batches. Lines credited before are left alone, so repeating it credits
    nothing twice; the same `Idempotency-Key` resumes and returns the same mass credit."""
    request = MassCreditRequest(
        body.product, body.posting_from, body.posting_to, body.document_date, body.description
    )
    try:
        async with runtime.db.transaction() as session:
            scope = await scope_of(session, principal)
            planned = await plan_in_tx(
                session, scope, request, actor=principal.subject, idempotency_key=idempotency_key
            )
    except IntegrityError:
        # The same key at the same moment: the other request made it.
        if idempotency_key is None:
            raise
        async with runtime.db.transaction() as session:
            scope = await scope_of(session, principal)
            planned = await plan_in_tx(
                session, scope, request, actor=principal.subject, idempotency_key=idempotency_key
            )
    done = await run_mass_credit(runtime.db, scope, planned.row["id"])
    if not planned.created:
        response.status_code = status.HTTP_200_OK
    return MassCreditRead.model_validate(done)


@router.get("/mass-credits/{mass_credit_id}", response_model=MassCreditRead)
async def read_mass_credit(
    mass_credit_id: UUID, principal: Reader, runtime: RuntimeDep
) -> MassCreditRead:
    """A mass credit and its progress (invoices done of the total, memos, amount)."""
    async with runtime.db.sessions() as session:
        return MassCreditRead.model_validate(
            await load_mass_credit(session, principal.tenant, mass_credit_id)
        )
