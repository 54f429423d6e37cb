"""The finance dashboard (SPEC §4.1, source 000): invoiced, paid, outstanding invoices,
outstanding notices (orders), not yet sent (drafts), and their series per month, week or day.

Definitions (README "Finance"):
- a document counts as invoiced on the day it became an invoice: issued as one, or posted
  from a draft or an order (a paid notice becomes an invoice and is counted too);
- paid is the sum of allocations by their value date, reversals included;
- what is open on a document is its total less allocations and credit memos on it, and
  nothing once payments closed the receivable;
- outstanding figures are as of now; invoiced, paid and credited are for the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain.periods import Grain, Period, buckets
from federa.statistics.queries.scope import Scope

DOCS = """
WITH docs AS (
    SELECT d.*, COALESCE(d.organisation_id, m.organisation_id) AS org,
           CASE WHEN d.closed_on IS NOT NULL THEN 0 ELSE GREATEST(
               COALESCE(d.total_amount, 0)
               - COALESCE((SELECT sum(a.amount) FROM allocations a
                           WHERE a.document_id = d.document_id), 0)
               - COALESCE((SELECT sum(c.total_amount) FROM credit_memos c
                           WHERE c.credited_document_id = d.document_id), 0), 0) END AS open
    FROM documents d LEFT JOIN members m ON m.member_id = d.member_id
    WHERE d.tenant = :tenant AND d.total_amount IS NOT NULL
), scoped AS (
    SELECT * FROM docs
    WHERE CAST(:orgs AS uuid[]) IS NULL OR org = ANY(CAST(:orgs AS uuid[]))
)
"""

PAID = """
SELECT a.value_date AS day, a.amount, a.payment_id
FROM allocations a JOIN scoped d ON d.document_id = a.document_id
WHERE a.value_date BETWEEN :first AND :last
"""


@dataclass(frozen=True)
class Figure:
    count: int
    amount: int  # PostgreSQL sums bigints as numeric; the callers turn them into int


@dataclass(frozen=True)
class Finance:
    currency: str | None
    invoiced: Figure
    paid: Figure
    credited: Figure
    outstanding_invoices: Figure
    outstanding_notices: Figure
    not_yet_sent: Figure
    series: list[dict[str, Any]]


def _params(scope: Scope, period: Period) -> dict[str, Any]:
    return {
        "tenant": scope.tenant,
        "orgs": scope.sql_orgs(),
        "first": period.first,
        "last": period.last,
    }


async def finance(session: AsyncSession, scope: Scope, period: Period, grain: Grain) -> Finance:
    p = _params(scope, period)
    kpis = (
        (
            await session.execute(
                text(
                    DOCS
                    + """
SELECT
  count(*) FILTER (WHERE invoiced_on BETWEEN :first AND :last) AS inv_n,
  COALESCE(sum(total_amount) FILTER (WHERE invoiced_on BETWEEN :first AND :last), 0) AS inv_a,
  count(*) FILTER (WHERE invoiced_on IS NOT NULL AND open > 0) AS out_n,
  COALESCE(sum(open) FILTER (WHERE invoiced_on IS NOT NULL AND open > 0), 0) AS out_a,
  count(*) FILTER (WHERE kind = 'order' AND invoiced_on IS NULL AND cancelled_reason IS NULL
                   AND open > 0) AS ord_n,
  COALESCE(sum(open) FILTER (WHERE kind = 'order' AND invoiced_on IS NULL
                   AND cancelled_reason IS NULL AND open > 0), 0) AS ord_a,
  count(*) FILTER (WHERE kind = 'draft_invoice' AND invoiced_on IS NULL
                   AND cancelled_reason IS NULL) AS draft_n,
  COALESCE(sum(total_amount) FILTER (WHERE kind = 'draft_invoice' AND invoiced_on IS NULL
                   AND cancelled_reason IS NULL), 0) AS draft_a,
  (SELECT currency FROM scoped WHERE currency IS NOT NULL
   GROUP BY currency ORDER BY count(*) DESC LIMIT 1) AS currency
FROM scoped
"""
                ),
                p,
            )
        )
        .mappings()
        .one()
    )
    paid = (
        (
            await session.execute(
                text(
                    DOCS + f"SELECT count(DISTINCT payment_id) AS n, COALESCE(sum(amount), 0) AS a "
                    f"FROM ({PAID}) x"
                ),
                p,
            )
        )
        .mappings()
        .one()
    )
    credited = (
        (
            await session.execute(
                text(
                    """
SELECT count(*) AS n, COALESCE(sum(c.total_amount), 0) AS a
FROM credit_memos c LEFT JOIN members m ON m.member_id = c.member_id
WHERE c.tenant = :tenant AND c.posting_date BETWEEN :first AND :last
  AND (CAST(:orgs AS uuid[]) IS NULL
       OR COALESCE(c.organisation_id, m.organisation_id) = ANY(CAST(:orgs AS uuid[])))
"""
                ),
                p,
            )
        )
        .mappings()
        .one()
    )
    series = await _series(session, scope, period, grain)
    return Finance(
        currency=kpis["currency"],
        invoiced=Figure(int(kpis["inv_n"]), int(kpis["inv_a"])),
        paid=Figure(int(paid["n"]), int(paid["a"])),
        credited=Figure(int(credited["n"]), int(credited["a"])),
        outstanding_invoices=Figure(int(kpis["out_n"]), int(kpis["out_a"])),
        outstanding_notices=Figure(int(kpis["ord_n"]), int(kpis["ord_a"])),
        not_yet_sent=Figure(int(kpis["draft_n"]), int(kpis["draft_a"])),
        series=series,
    )


async def _series(
    session: AsyncSession, scope: Scope, period: Period, grain: Grain
) -> list[dict[str, Any]]:
    trunc = {"month": "month", "week": "week", "day": "day"}[grain.value]
    statement = text(
        DOCS
        + f"""
SELECT 'invoiced' AS what, CAST(date_trunc('{trunc}', invoiced_on) AS date) AS bucket,
       sum(total_amount) AS amount
FROM scoped WHERE invoiced_on BETWEEN :first AND :last GROUP BY 2
UNION ALL
SELECT 'notified', CAST(date_trunc('{trunc}', posting_date) AS date), sum(total_amount)
FROM scoped WHERE kind = 'order' AND posting_date BETWEEN :first AND :last GROUP BY 2
UNION ALL
SELECT 'paid', CAST(date_trunc('{trunc}', day) AS date), sum(amount)
FROM ({PAID}) x GROUP BY 2
"""
    )
    found: dict[tuple[str, date], int] = {}
    for r in (await session.execute(statement, _params(scope, period))).mappings():
        found[(r["what"], r["bucket"])] = int(r["amount"] or 0)
    return [
        {
            "bucket": b,
            "invoiced": found.get(("invoiced", b), 0),
            "notified": found.get(("notified", b), 0),
            "paid": found.get(("paid", b), 0),
        }
        for b in buckets(period, grain)
    ]


async def overdue(session: AsyncSession, scope: Scope, today: date) -> dict[str, Figure]:
    row = (
        (
            await session.execute(
                text(
                    DOCS
                    + """
SELECT
  count(*) FILTER (WHERE invoiced_on IS NOT NULL AND open > 0 AND due_date < :today) AS inv_n,
  COALESCE(sum(open) FILTER (WHERE invoiced_on IS NOT NULL AND open > 0
                             AND due_date < :today), 0) AS inv_a,
  count(*) FILTER (WHERE kind = 'order' AND invoiced_on IS NULL AND cancelled_reason IS NULL
                   AND open > 0 AND due_date < :today) AS ord_n,
  COALESCE(sum(open) FILTER (WHERE kind = 'order' AND invoiced_on IS NULL
                   AND cancelled_reason IS NULL AND open > 0 AND due_date < :today), 0) AS ord_a,
  count(*) FILTER (WHERE kind = 'draft_invoice' AND invoiced_on IS NULL
                   AND cancelled_reason IS NULL) AS draft_n,
  COALESCE(sum(total_amount) FILTER (WHERE kind = 'draft_invoice' AND invoiced_on IS NULL
                   AND cancelled_reason IS NULL), 0) AS draft_a
FROM scoped
"""
                ),
                {"tenant": scope.tenant, "orgs": scope.sql_orgs(), "today": today},
            )
        )
        .mappings()
        .one()
    )
    return {
        "overdue_invoices": Figure(int(row["inv_n"]), int(row["inv_a"])),
        "overdue_notices": Figure(int(row["ord_n"]), int(row["ord_a"])),
        "drafts_not_sent": Figure(int(row["draft_n"]), int(row["draft_a"])),
    }


# The documents behind each figure (drill-down): the same conditions as the figures.
FIGURES = {
    "invoiced": "invoiced_on BETWEEN :first AND :last",
    "outstanding_invoices": "invoiced_on IS NOT NULL AND open > 0",
    "outstanding_notices": "kind = 'order' AND invoiced_on IS NULL AND cancelled_reason IS NULL "
    "AND open > 0",
    "not_yet_sent": "kind = 'draft_invoice' AND invoiced_on IS NULL AND cancelled_reason IS NULL",
    "overdue_invoices": "invoiced_on IS NOT NULL AND open > 0 AND due_date < :today",
    "overdue_notices": "kind = 'order' AND invoiced_on IS NULL AND cancelled_reason IS NULL "
    "AND open > 0 AND due_date < :today",
}


async def documents_behind(
    session: AsyncSession,
    scope: Scope,
    figure: str,
    period: Period,
    today: date,
    *,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    params = {**_params(scope, period), "today": today, "limit": limit, "offset": offset}
    condition = FIGURES[figure]
    total = (
        await session.execute(text(DOCS + f"SELECT count(*) FROM scoped WHERE {condition}"), params)
    ).scalar_one()
    rows = await session.execute(
        text(
            DOCS
            + f"""
SELECT d.document_id, d.kind, d.document_no, d.invoice_no, d.payer_account_id,
       p.name AS payer_name, d.posting_date, d.due_date, d.invoiced_on, d.currency,
       d.total_amount, d.open, d.org AS organisation_id
FROM scoped d LEFT JOIN payers p ON p.payer_account_id = d.payer_account_id
WHERE {condition}
ORDER BY d.posting_date, d.document_no, d.document_id LIMIT :limit OFFSET :offset
"""
        ),
        params,
    )
    return int(total), [
        {**dict(r), "total_amount": int(r["total_amount"]), "open": int(r["open"])}
        for r in rows.mappings()
    ]
