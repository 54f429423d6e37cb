"""Reading the exceptions queue."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.scope import Scope, payer_visible
from federa.payments.storage.tables import payment_exceptions, payments


def _columns() -> list[Any]:
    return [
        payment_exceptions,
        payments.c.source,
        payments.c.value_date,
        payments.c.payment_reference,
        payments.c.debtor_name,
        payments.c.description,
        payments.c.amount.label("payment_amount"),
    ]


async def list_exceptions(
    session: AsyncSession,
    scope: Scope,
    *,
    status: str | None,
    reason: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where = [
        payment_exceptions.c.tenant == scope.tenant,
        payer_visible(scope, payment_exceptions.c.payer_account_id),
    ]
    if status is not None:
        where.append(payment_exceptions.c.status == status)
    if reason is not None:
        where.append(payment_exceptions.c.reason == reason)
    total = (
        await session.execute(select(func.count()).select_from(payment_exceptions).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(*_columns())
        .join(payments, payments.c.payment_id == payment_exceptions.c.payment_id)
        .where(*where)
        .order_by(payment_exceptions.c.created_at, payment_exceptions.c.exception_id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def get_exception(
    session: AsyncSession, scope: Scope, exception_id: uuid.UUID
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(*_columns())
                .join(payments, payments.c.payment_id == payment_exceptions.c.payment_id)
                .where(
                    payment_exceptions.c.tenant == scope.tenant,
                    payment_exceptions.c.exception_id == exception_id,
                    payer_visible(scope, payment_exceptions.c.payer_account_id),
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)
