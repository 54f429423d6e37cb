"""Subscription statistics (SPEC §4.2) in SQL: the same definitions as
`domain.movement`, computed where the facts are. Grouped in SQL by product, the optional
columns and the organisation; rolled up to branch or region here, which is exact because every
subscription belongs to one organisation and every figure is a count or a sum."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain.movement import Column
from federa.statistics.domain.periods import Period
from federa.statistics.queries.scope import Scope, Tree

GROUPINGS = ("price_code", "gender", "branch", "region")

_GENDER = """COALESCE(pm.gender, m.gender) AS gender
    FROM subscriptions s
    LEFT JOIN members m ON m.member_id = s.member_id
    LEFT JOIN payers p ON p.payer_account_id = s.payer_account_id
    LEFT JOIN members pm ON pm.member_id = p.owner_member_id"""
# Without a gender grouping the payer joins are left out: they were half the query's time.
_NO_GENDER = """CAST(NULL AS text) AS gender
    FROM subscriptions s
    LEFT JOIN members m ON m.member_id = s.member_id"""

# The price code in force on the period's last day, or on the subscription's last if earlier.
_PRICE_AT_END = """COALESCE((SELECT pc.price_code FROM subscription_price_codes pc
                     WHERE pc.subscription_id = s.subscription_id
                       AND pc.from_date <= LEAST(CAST(:last AS date), COALESCE(s.end_date, :last))
                     ORDER BY pc.from_date DESC LIMIT 1), s.price_code) AS price_code"""
_CURRENT_PRICE = "s.price_code"

_FLAGGED = """
WITH base AS (
    SELECT s.subscription_id, s.subscription_no, s.member_id, s.product_code, {price},
           s.from_date, s.to_date, s.billed_through, s.end_date, s.stop_reason,
           s.monthly_revenue,
           COALESCE(s.organisation_id, m.organisation_id) AS org,
           {gender}
    WHERE s.tenant = :tenant
      AND s.from_date <= :last
      AND (s.end_date IS NULL OR s.end_date >= :first)
      AND (s.end_date IS NULL OR s.end_date >= s.from_date)
), scoped AS (
    SELECT * FROM base
    WHERE CAST(:orgs AS uuid[]) IS NULL OR org = ANY(CAST(:orgs AS uuid[]))
), flagged AS (
    SELECT b.*,
           b.from_date < :first AS is_opening,
           b.from_date >= :first AS is_new,
           (b.end_date IS NOT NULL AND b.end_date <= :last) AS is_ended,
           (b.from_date >= :first AND EXISTS (
                SELECT 1 FROM subscriptions o
                WHERE o.tenant = :tenant AND o.member_id = b.member_id
                  AND o.subscription_id <> b.subscription_id
                  AND o.end_date = b.from_date - 1 AND o.end_date >= o.from_date))
           OR (b.end_date IS NOT NULL AND b.end_date <= :last AND EXISTS (
                SELECT 1 FROM subscriptions o
                WHERE o.tenant = :tenant AND o.member_id = b.member_id
                  AND o.subscription_id <> b.subscription_id
                  AND o.from_date = b.end_date + 1
                  AND (o.end_date IS NULL OR o.end_date >= o.from_date))) AS is_switched
    FROM scoped b
)
"""

_FLAG = {
    Column.OPENING: "is_opening",
    Column.NEW: "is_new",
    Column.ENDED: "is_ended",
    Column.CLOSING: "NOT is_ended",
    Column.SWITCHED: "is_switched",
}


def _params(tenant: str, period: Period, scope: Scope) -> dict[str, Any]:
    return {"tenant": tenant, "first": period.first, "last": period.last, "orgs": scope.sql_orgs()}


@dataclass
class Cell:
    count: int = 0
    revenue: int = 0


COLUMNS = tuple(Column)
# The aggregate's column names, count and revenue per column, in COLUMNS order.
_KEYS = tuple(f"{c.value}_{m}" for c in COLUMNS for m in ("n", "r"))


@dataclass
class Row:
    group: dict[str, Any]
    cells: dict[Column, Cell] = field(default_factory=lambda: {c: Cell() for c in COLUMNS})

    def add(self, values: tuple[int, ...]) -> None:
        """`values`: count and revenue per column, in COLUMNS order."""
        for i, column in enumerate(COLUMNS):
            cell = self.cells[column]
            cell.count += values[2 * i]
            cell.revenue += values[2 * i + 1]


@dataclass
class Statistics:
    rows: list[Row]
    total: Row


async def subscription_statistics(
    session: AsyncSession,
    scope: Scope,
    tree: Tree,
    period: Period,
    group_by: Sequence[str],
) -> Statistics:
    sql_groups = ["product_code", *(g for g in ("price_code", "gender") if g in group_by), "org"]
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE {flag}) AS {col.value}_n, "
        f"coalesce(sum(monthly_revenue) FILTER (WHERE {flag}), 0) AS {col.value}_r"
        for col, flag in _FLAG.items()
    )
    cols = ", ".join(sql_groups)
    flagged = _FLAGGED.format(
        gender=_GENDER if "gender" in group_by else _NO_GENDER,
        price=_PRICE_AT_END if "price_code" in group_by else _CURRENT_PRICE,
    )
    statement = text(f"{flagged} SELECT {cols}, {aggregates} FROM flagged GROUP BY {cols}")
    result = await session.execute(statement, _params(scope.tenant, period, scope))
    rows: dict[tuple[Any, ...], Row] = {}
    total = Row({})
    for r in result.mappings():
        group: dict[str, Any] = {"product_code": r["product_code"]}
        if "price_code" in group_by:
            group["price_code"] = r["price_code"]
        if "gender" in group_by:
            group["gender"] = r["gender"] or "unknown"
        for kind in ("region", "branch"):
            if kind in group_by:
                group[kind] = tree.nearest(r["org"], kind)
        values = tuple(int(r[k]) for k in _KEYS)
        key = tuple((k, str(v)) for k, v in group.items())
        rows.setdefault(key, Row(group)).add(values)
        total.add(values)
    ordered = sorted(
        rows.values(),
        key=lambda row: [
            (tree.name(v) or "") if k in ("branch", "region") else str(v)
            for k, v in row.group.items()
        ],
    )
    return Statistics(ordered, total)


# Beyond the five columns: every subscription valid at some day of the period (for a one-day
# period, the subscriptions active that day: the distributions' drill-down).
ACTIVE = "active"


@dataclass(frozen=True)
class DrillFilter:
    column: str
    product_code: str | None = None
    price_code: str | None = None
    gender: str | None = None
    # Organisations whose nearest branch/region is the one asked for; or, for "none", the
    # organisations that have one (everything else, unknown and missing ones too, is "none").
    organisations: frozenset[uuid.UUID] | None = None
    not_organisations: frozenset[uuid.UUID] | None = None


async def drill_down(
    session: AsyncSession,
    scope: Scope,
    period: Period,
    flt: DrillFilter,
    *,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    where = ["TRUE" if flt.column == ACTIVE else _FLAG[Column(flt.column)]]
    params = _params(scope.tenant, period, scope)
    if flt.product_code is not None:
        where.append("product_code = :product_code")
        params["product_code"] = flt.product_code
    if flt.price_code is not None:
        where.append("price_code = :price_code")
        params["price_code"] = flt.price_code
    if flt.gender is not None:
        where.append("COALESCE(gender, 'unknown') = :gender")
        params["gender"] = flt.gender
    if flt.organisations is not None:
        where.append("org = ANY(CAST(:only AS uuid[]))")
        params["only"] = sorted(flt.organisations)
    if flt.not_organisations is not None:
        where.append("(org IS NULL OR NOT org = ANY(CAST(:others AS uuid[])))")
        params["others"] = sorted(flt.not_organisations)
    condition = " AND ".join(where)
    flagged = _FLAGGED.format(
        gender=_GENDER if flt.gender is not None else _NO_GENDER, price=_PRICE_AT_END
    )
    total = (
        await session.execute(
            text(f"{flagged} SELECT count(*) FROM flagged WHERE {condition}"), params
        )
    ).scalar_one()
    rows = await session.execute(
        text(
            f"{flagged} SELECT subscription_id, subscription_no, member_id, product_code, "
            f"price_code, from_date, to_date, billed_through, end_date, stop_reason, "
            f"monthly_revenue, org, is_switched FROM flagged WHERE {condition} "
            f"ORDER BY subscription_no, subscription_id LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    )
    return int(total), [dict(r) for r in rows.mappings()]
