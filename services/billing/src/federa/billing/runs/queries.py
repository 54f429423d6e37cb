"""Reading runs: one with its totals and chunks, a page of them, their error log and the
report per organisation (filtered to the caller's organisations)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.runs.state import RunTotals, run_totals
from federa.billing.scope import Scope, visible_members
from federa.billing.storage.documents_tables import (
    billing_run_chunks,
    billing_run_errors,
    billing_run_report,
    billing_runs,
)
from federa.billing.storage.tables import members, organisations
from federa.shared.http.problems import Problem

Row = dict[str, Any]


def run_not_found(run_id: uuid.UUID) -> Problem:
    return Problem(
        404, "billing-run-not-found", "Billing run not found", f"No billing run {run_id}."
    )


async def load_run(session: AsyncSession, scope: Scope, run_id: uuid.UUID) -> Row:
    row = (
        (
            await session.execute(
                select(billing_runs).where(
                    billing_runs.c.id == run_id, billing_runs.c.tenant == scope.tenant
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise run_not_found(run_id)
    return dict(row)


async def run_with_totals(
    session: AsyncSession, scope: Scope, run_id: uuid.UUID, *, with_chunks: bool
) -> tuple[Row, RunTotals, list[Row]]:
    run = await load_run(session, scope, run_id)
    totals = await run_totals(session, run_id)
    chunks: list[Row] = []
    if with_chunks:
        c = billing_run_chunks.c
        chunks = [
            {**dict(row), "subscriptions": len(row["subscription_ids"])}
            for row in (
                await session.execute(
                    select(billing_run_chunks).where(c.run_id == run_id).order_by(c.chunk_no)
                )
            ).mappings()
        ]
    return run, totals, chunks


async def list_runs(
    session: AsyncSession, scope: Scope, *, limit: int, offset: int
) -> tuple[list[tuple[Row, RunTotals]], int]:
    where = billing_runs.c.tenant == scope.tenant
    total = (
        await session.execute(select(func.count()).select_from(billing_runs).where(where))
    ).scalar_one()
    rows = (
        await session.execute(
            select(billing_runs)
            .where(where)
            .order_by(billing_runs.c.created_at.desc(), billing_runs.c.id)
            .limit(limit)
            .offset(offset)
        )
    ).mappings()
    page = [(dict(row), await run_totals(session, row["id"])) for row in rows.all()]
    return page, int(total)


def _visible_errors(scope: Scope, run_id: uuid.UUID) -> list[Any]:
    where = [billing_run_errors.c.run_id == run_id]
    if not scope.everything:
        where.append(
            billing_run_errors.c.member_id.in_(
                select(members.c.member_id).where(visible_members(scope))
            )
        )
    return where


async def run_errors(
    session: AsyncSession,
    scope: Scope,
    run_id: uuid.UUID,
    *,
    include_retried: bool,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    await load_run(session, scope, run_id)
    where = _visible_errors(scope, run_id)
    if not include_retried:
        where.append(billing_run_errors.c.retried_at.is_(None))
    total = (
        await session.execute(select(func.count()).select_from(billing_run_errors).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(billing_run_errors)
        .where(*where)
        .order_by(billing_run_errors.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


REPORT_FIELDS = (
    "subscriptions",
    "failed",
    "lines",
    "amount",
    "vat_amount",
    "branch_share",
    "credited",
    "credited_amount",
)


async def run_report(
    session: AsyncSession, scope: Scope, run_id: uuid.UUID
) -> tuple[Row, list[Row]]:
    """Per organisation, summed over the run's chunks, with the organisation's name from
    billing's copy of the tree."""
    run = await load_run(session, scope, run_id)
    r = billing_run_report.c
    where = [r.run_id == run_id]
    if not scope.everything:
        where.append(r.organisation_id.in_(list(scope.organisation_ids)))
    rows = await session.execute(
        select(
            r.organisation_id,
            organisations.c.name.label("organisation_name"),
            *(func.sum(r[name]).label(name) for name in REPORT_FIELDS),
        )
        .select_from(
            billing_run_report.outerjoin(
                organisations, organisations.c.organisation_id == r.organisation_id
            )
        )
        .where(*where)
        .group_by(r.organisation_id, organisations.c.name)
        .order_by(organisations.c.name.nulls_last(), r.organisation_id)
    )
    return run, [
        {**dict(row), **{name: int(row[name]) for name in REPORT_FIELDS}} for row in rows.mappings()
    ]
