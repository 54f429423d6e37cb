"""/v1/payer-accounts: who is invoiced. Members' and organisations' own accounts are made from
their events; a mass payer change moves an account's subscriptions to their members' own."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query
from sqlalchemy import select

from federa.billing.http.dependencies import Reader, SubscriptionWriter
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.subscription_schemas import (
    MassPayerChangeBody,
    MassPayerChangeRead,
    PayerAccountRead,
    PayerOptionRead,
)
from federa.billing.payer_accounts import visible_payer_account
from federa.billing.payer_options import payer_options
from federa.billing.scope import scope_of, visible_payer_accounts
from federa.billing.storage.tables import payer_accounts
from federa.billing.subscriptions.mass_payer_change import MassPayerChange, change_payers
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/payer-accounts",
    tags=["payer accounts"],
    route_class=BillingRoute,
    responses=PROBLEMS,
)


@router.get("", response_model=list[PayerAccountRead])
async def list_accounts(
    principal: Reader,
    runtime: RuntimeDep,
    member_id: UUID | None = None,
    organisation_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PayerAccountRead]:
    """Payer accounts the caller may see, by number; `member_id` or `organisation_id` gives
    that member's or organisation's own."""
    async with runtime.db.sessions() as session:
        query = select(payer_accounts).where(
            visible_payer_accounts(await scope_of(session, principal))
        )
        if member_id is not None:
            query = query.where(payer_accounts.c.owner_member_id == member_id)
        if organisation_id is not None:
            query = query.where(payer_accounts.c.owner_organisation_id == organisation_id)
        rows = await session.execute(
            query.order_by(payer_accounts.c.number).limit(limit).offset(offset)
        )
        return [PayerAccountRead.model_validate(dict(r)) for r in rows.mappings()]


@router.get("/options", response_model=list[PayerOptionRead])
async def options(member_id: UUID, principal: Reader, runtime: RuntimeDep) -> list[PayerOptionRead]:
    """The accounts a member's subscriptions may be billed to: its own, its household's (the
    primary member's own, for a secondary member) and those of its organisations the caller
    may see."""
    async with runtime.db.sessions() as session:
        found = await payer_options(session, await scope_of(session, principal), member_id)
    return [
        PayerOptionRead(relation=relation, account=PayerAccountRead.model_validate(row))
        for relation, row in found
    ]


@router.get("/{payer_account_id}", response_model=PayerAccountRead)
async def read(payer_account_id: UUID, principal: Reader, runtime: RuntimeDep) -> PayerAccountRead:
    async with runtime.db.sessions() as session:
        row = await visible_payer_account(
            session, await scope_of(session, principal), payer_account_id
        )
    return PayerAccountRead.model_validate(row)


@router.post("/{payer_account_id}/mass-payer-change", response_model=MassPayerChangeRead)
async def mass_payer_change(
    payer_account_id: UUID,
    body: MassPayerChangeBody,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> MassPayerChangeRead:
    """`MassChangePayer` (rule 40): every subscription the caller may see that this account
    pays from its next charge moves to its member's own account, each by the rule of a single
    payer change (DEB-/DEB+ from the day after the latest invoiced period, one
    `billing.subscription.payer_changed` each). Returns the count changed and the ones refused
    with the rule that refused them. With `Idempotency-Key` a repeat returns the first result."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
    outcome = await change_payers(
        runtime.db,
        scope,
        MassPayerChange(payer_account_id, body.only_active, tuple(body.products)),
        actor=principal.subject,
        idempotency_key=idempotency_key,
    )
    return MassPayerChangeRead.model_validate(outcome)
