"""/v1/payments: every payment received, whatever its source."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from sqlalchemy import func, select

from federa.payments.http.dependencies import Limit, Offset, Reader, Writer
from federa.payments.http.schemas import Page, PaymentRead, ReversalRead
from federa.payments.ledger.reversal import reverse_payment_in_tx
from federa.payments.scope import payer_visible, require_everything, scope_of
from federa.payments.storage.tables import payments
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.get("", response_model=Page[PaymentRead])
async def list_payments(
    principal: Reader,
    runtime: RuntimeDep,
    payer_account_id: UUID | None = None,
    payment_file_id: UUID | None = None,
    status: Literal["applied", "partly_applied", "exception", "gift", "refunded"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[PaymentRead]:
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        where = [
            payments.c.tenant == principal.tenant,
            payer_visible(scope, payments.c.payer_account_id),
        ]
        if payer_account_id is not None:
            where.append(payments.c.payer_account_id == payer_account_id)
        if payment_file_id is not None:
            where.append(payments.c.payment_file_id == payment_file_id)
        if status is not None:
            where.append(payments.c.status == status)
        total = (
            await session.execute(select(func.count()).select_from(payments).where(*where))
        ).scalar_one()
        rows = await session.execute(
            select(payments)
            .where(*where)
            .order_by(payments.c.created_at, payments.c.entry_no, payments.c.payment_id)
            .limit(limit)
            .offset(offset)
        )
        items = [PaymentRead.model_validate(r) for r in rows.mappings()]
    return Page(items=items, total=int(total), limit=limit, offset=offset)


@router.get("/{payment_id}", response_model=PaymentRead)
async def read_payment(payment_id: UUID, principal: Reader, runtime: RuntimeDep) -> PaymentRead:
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        row = (
            (
                await session.execute(
                    select(payments).where(
                        payments.c.tenant == principal.tenant,
                        payments.c.payment_id == payment_id,
                        payer_visible(scope, payments.c.payer_account_id),
                    )
                )
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        raise Problem(404, "payment-not-found", "Payment not found", f"No payment {payment_id}.")
    return PaymentRead.model_validate(row)


@router.post(
    "/{payment_id}/reversal",
    response_model=ReversalRead,
    responses={404: {"description": "Unknown payment"}, 409: {"description": "Nothing left"}},
)
async def reverse(payment_id: UUID, principal: Writer, runtime: RuntimeDep) -> ReversalRead:
    """Reverse what the payment applied, wrote off and gave, with new ledger entries; its
    money waits as a `reversed` exception to be applied again, moved or refunded."""
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        result = await reverse_payment_in_tx(session, principal.tenant, payment_id)
    return ReversalRead.model_validate(result)
