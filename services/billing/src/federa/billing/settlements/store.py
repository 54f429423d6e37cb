"""Calculating a period's branch settlements inside the caller's transaction, and reading them.

Exactly once per line: a tenant's calculations run one at a time (a transaction-scoped
advisory lock), only lines no settlement holds yet are read, and `settlement_lines` refuses a
line twice. The same period again returns the settlements it made; an overlapping period pays
only what the earlier one did not.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.ids import OrganisationId
from federa.billing.domain.settlements import Settlement, ShareLine, check_period, settle
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import document_lines, documents
from federa.billing.storage.settlement_tables import (
    settlement_batches,
    settlement_lines,
    settlements,
)
from federa.billing.storage.tables import organisations
from federa.billing.tenancy import settings_of
from federa.shared.contracts.billing import SETTLEMENT_CALCULATED, SettlementCalculatedV1
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_events_in_tx

Row = dict[str, Any]


@dataclass(frozen=True)
class Batch:
    row: Row
    settlements: list[Row]
    created: bool


async def _batch(
    session: AsyncSession, tenant: str, period_from: date, period_to: date
) -> Row | None:
    row = (
        (
            await session.execute(
                select(settlement_batches).where(
                    settlement_batches.c.tenant == tenant,
                    settlement_batches.c.period_from == period_from,
                    settlement_batches.c.period_to == period_to,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def _settlements_of(session: AsyncSession, batch_id: uuid.UUID) -> list[Row]:
    rows = await session.execute(
        select(settlements)
        .where(settlements.c.batch_id == batch_id)
        .order_by(settlements.c.organisation_id)
    )
    return [dict(r) for r in rows.mappings()]


async def _unsettled_lines(
    session: AsyncSession, tenant: str, period_from: date, period_to: date
) -> list[ShareLine]:
    d, line = documents.c, document_lines.c
    rows = await session.execute(
        select(
            d.id,
            d.document_no,
            d.kind,
            d.posting_date,
            line.line_no,
            line.branch_organisation_id,
            line.branch_share,
        )
        .join(document_lines, line.document_id == d.id)
        .where(
            d.tenant == tenant,
            d.status == "posted",
            d.kind.in_(("invoice", "credit_memo")),
            d.posting_date.between(period_from, period_to),
            line.branch_organisation_id.is_not(None),
            line.branch_share != 0,
            ~select(settlement_lines.c.document_id)
            .where(
                settlement_lines.c.document_id == d.id,
                settlement_lines.c.line_no == line.line_no,
            )
            .exists(),
        )
        .order_by(d.posting_date, d.id, line.line_no)
    )
    return [
        ShareLine(
            document_id=r.id,
            line_no=r.line_no,
            document_no=r.document_no,
            document_kind=r.kind,
            posting_date=r.posting_date,
            organisation=OrganisationId(r.branch_organisation_id),
            share=r.branch_share,
        )
        for r in rows
    ]


async def _names(session: AsyncSession, ids: list[OrganisationId]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(organisations.c.organisation_id, organisations.c.name).where(
            organisations.c.organisation_id.in_(ids)
        )
    )
    return {r.organisation_id: r.name for r in rows}


async def calculate_in_tx(
    session: AsyncSession, tenant: str, period_from: date, period_to: date, *, actor: str
) -> Batch:
    """The period's settlements, one per organisation owed anything; published as
    `billing.settlement.calculated` each. The same period again: the first calculation."""
    check_period(period_from, period_to)
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"settlement:{tenant}"}
    )
    existing = await _batch(session, tenant, period_from, period_to)
    if existing is not None:
        return Batch(existing, await _settlements_of(session, existing["id"]), created=False)
    currency = (await settings_of(session, tenant)).currency
    now = datetime.now(UTC)
    batch = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "period_from": period_from,
        "period_to": period_to,
        "currency": currency,
        "created_at": now,
        "created_by": actor,
    }
    await session.execute(insert(settlement_batches).values(**batch))
    calculated = settle(await _unsettled_lines(session, tenant, period_from, period_to))
    names = await _names(session, [s.organisation for s in calculated])
    rows = [_row(batch, s, names.get(s.organisation)) for s in calculated]
    if rows:
        await session.execute(insert(settlements), rows)
        await session.execute(
            insert(settlement_lines),
            [
                {
                    "settlement_id": row["id"],
                    "document_id": line.document_id,
                    "line_no": line.line_no,
                    "document_no": line.document_no,
                    "document_kind": line.document_kind,
                    "posting_date": line.posting_date,
                    "amount": line.amount,
                }
                for row, s in zip(rows, calculated, strict=True)
                for line in s.lines
            ],
        )
        await record_events_in_tx(session, [_event(tenant, row) for row in rows])
    return Batch(batch, rows, created=True)


def _row(batch: Row, settlement: Settlement, name: str | None) -> Row:
    return {
        "id": uuid.uuid4(),
        "batch_id": batch["id"],
        "tenant": batch["tenant"],
        "organisation_id": settlement.organisation,
        "organisation_name": name,
        "period_from": batch["period_from"],
        "period_to": batch["period_to"],
        "currency": batch["currency"],
        "amount": settlement.amount,
        "documents": settlement.documents,
        "lines": len(settlement.lines),
        "created_at": batch["created_at"],
    }


def _event(tenant: str, row: Row) -> Any:
    return new_event(
        SETTLEMENT_CALCULATED,
        SettlementCalculatedV1(
            settlement_id=row["id"],
            organisation_id=row["organisation_id"],
            period_from=row["period_from"],
            period_to=row["period_to"],
            currency=row["currency"],
            amount=row["amount"],
            documents=row["documents"],
            lines=row["lines"],
        ),
        subject=str(row["id"]),
        tenant=tenant,
        aggregate_version=1,
    )


def _visible(scope: Scope) -> Any:
    """A branch officer sees the settlements of the organisations in their subtree."""
    in_tenant = settlements.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    return in_tenant & settlements.c.organisation_id.in_(list(scope.organisation_ids))


async def list_settlements(
    session: AsyncSession,
    scope: Scope,
    *,
    organisation_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = [_visible(scope)]
    if organisation_id is not None:
        where.append(settlements.c.organisation_id == organisation_id)
    total = (
        await session.execute(select(func.count()).select_from(settlements).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(settlements)
        .where(*where)
        .order_by(settlements.c.period_from, settlements.c.organisation_id, settlements.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def load_settlement(
    session: AsyncSession, scope: Scope, settlement_id: uuid.UUID
) -> tuple[Row, list[Row]]:
    row = (
        (
            await session.execute(
                select(settlements).where(settlements.c.id == settlement_id, _visible(scope))
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(404, "settlement-not-found", "Not found", f"No settlement {settlement_id}.")
    lines = await session.execute(
        select(settlement_lines)
        .where(settlement_lines.c.settlement_id == settlement_id)
        .order_by(settlement_lines.c.posting_date, settlement_lines.c.document_no)
    )
    return dict(row), [dict(r) for r in lines.mappings()]
