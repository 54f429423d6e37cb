"""/v1/payer-accounts: who is invoiced. A member's own account is made from its events."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from sqlalchemy import select

from federa.billing.http.dependencies import Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.subscription_schemas import PayerAccountRead
from federa.billing.scope import scope_of, visible_payer_accounts
from federa.billing.storage.tables import payer_accounts
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/payer-accounts",
    tags=["payer accounts"],
    route_class=BillingRoute,
    responses=PROBLEMS,
)


@router.get("", response_model=list[PayerAccountRead])
async def list_accounts(
    principal: Reader, runtime: RuntimeDep, member_id: UUID | None = None
) -> list[PayerAccountRead]:
    """Payer accounts the caller may see, by number; `member_id` gives that member's own."""
    async with runtime.db.sessions() as session:
        query = select(payer_accounts).where(
            visible_payer_accounts(await scope_of(session, principal))
        )
        if member_id is not None:
            query = query.where(payer_accounts.c.owner_member_id == member_id)
        rows = await session.execute(query.order_by(payer_accounts.c.number).limit(500))
        return [PayerAccountRead.model_validate(dict(r)) for r in rows.mappings()]


@router.get("/{payer_account_id}", response_model=PayerAccountRead)
async def read(payer_account_id: UUID, principal: Reader, runtime: RuntimeDep) -> PayerAccountRead:
    async with runtime.db.sessions() as session:
        row = (
            (
                await session.execute(
                    select(payer_accounts).where(
                        payer_accounts.c.id == payer_account_id,
                        visible_payer_accounts(await scope_of(session, principal)),
                    )
                )
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        raise Problem(
            404,
            "payer-account-not-found",
            "Payer account not found",
            f"No payer account {payer_account_id}.",
        )
    return PayerAccountRead.model_validate(dict(row))
