"""Reading recognitions and what still sits on each deferral account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.deferrals.recognition import journal_of
from federa.billing.domain.deferral import FiscalPeriod
from federa.billing.storage.deferral_tables import deferral_journal, deferral_recognitions
from federa.billing.storage.documents_tables import document_lines, documents
from federa.shared.http.problems import Problem

Row = dict[str, Any]


async def list_recognitions(
    session: AsyncSession, tenant: str, *, limit: int, offset: int
) -> tuple[list[tuple[Row, list[Row]]], int]:
    """The tenant's recognitions, latest period first, each with its journal rows."""
    r = deferral_recognitions.c
    total = (
        await session.execute(
            select(func.count()).select_from(deferral_recognitions).where(r.tenant == tenant)
        )
    ).scalar_one()
    rows = [
        dict(row)
        for row in (
            await session.execute(
                select(deferral_recognitions)
                .where(r.tenant == tenant)
                .order_by(r.through_period.desc(), r.id)
                .limit(limit)
                .offset(offset)
            )
        ).mappings()
    ]
    journal = await journal_of(session, [row["id"] for row in rows])
    by_id: dict[uuid.UUID, list[Row]] = {row["id"]: [] for row in rows}
    for entry in journal:
        by_id[entry["recognition_id"]].append(entry)
    return [(row, by_id[row["id"]]) for row in rows], int(total)


async def load_recognition(
    session: AsyncSession, tenant: str, recognition_id: uuid.UUID
) -> tuple[Row, list[Row]]:
    r = deferral_recognitions.c
    row = (
        (
            await session.execute(
                select(deferral_recognitions).where(r.id == recognition_id, r.tenant == tenant)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "recognition-not-found", "Not found", f"No recognition {recognition_id}."
        )
    return dict(row), await journal_of(session, [recognition_id])


@dataclass(frozen=True)
class AccountBalance:
    deferral_account: str
    deferred: int
    recognised: int

    @property
    def balance(self) -> int:
        return self.deferred - self.recognised


def last_booked_period(on: date) -> FiscalPeriod:
    """The latest fiscal period whose recognition is dated on or before `on`: recognitions
    are booked on their period's last day."""
    period = FiscalPeriod.of(on)
    return period if on == period.last_day else FiscalPeriod.of(period.first_day - timedelta(1))


async def balances_on(session: AsyncSession, tenant: str, on: date) -> list[AccountBalance]:
    """Per deferral account: what posted invoices less credit memos dated up to `on` put on
    it, and what recognitions booked up to `on` moved off it."""
    d, line, j = documents.c, document_lines.c, deferral_journal.c
    signed = case((d.kind == "credit_memo", -line.amount), else_=line.amount)
    deferred = await session.execute(
        select(line.deferral_account, func.sum(signed))
        .join(documents, d.id == line.document_id)
        .where(
            d.tenant == tenant,
            d.status == "posted",
            d.kind.in_(("invoice", "credit_memo")),
            d.posting_date <= on,
            line.deferral_account.is_not(None),
        )
        .group_by(line.deferral_account)
    )
    recognised = await session.execute(
        select(j.deferral_account, func.sum(j.amount))
        .where(j.tenant == tenant, j.fiscal_period <= last_booked_period(on).first_day)
        .group_by(j.deferral_account)
    )
    amounts: dict[str, list[int]] = {}
    for account, amount in deferred:
        amounts.setdefault(account, [0, 0])[0] = int(amount)
    for account, amount in recognised:
        amounts.setdefault(account, [0, 0])[1] = int(amount)
    return [
        AccountBalance(account, deferred=values[0], recognised=values[1])
        for account, values in sorted(amounts.items())
    ]
