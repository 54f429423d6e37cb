"""/v1/subscription-statistics: SPEC §4.2 per product and the chosen groupings, with a
drill-down link on every figure."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep
from federa.statistics.domain.movement import Column
from federa.statistics.domain.periods import Period
from federa.statistics.http.common import (
    Limit,
    Offset,
    OrganisationQuery,
    Reader,
    groups_of,
    link,
    page,
    period_of,
    reading,
)
from federa.statistics.queries.scope import Tree
from federa.statistics.queries.subscription_stats import (
    GROUPINGS,
    DrillFilter,
    Row,
    drill_down,
    subscription_statistics,
)

router = APIRouter(prefix="/v1/subscription-statistics", tags=["subscription statistics"])
DRILL = "/v1/subscription-statistics/subscriptions"
From = Annotated[date | None, Query(alias="from", description="First day (inclusive).")]
To = Annotated[date | None, Query(alias="to", description="Last day (inclusive).")]


def default_period(today: date) -> Period:
    return Period(today.replace(month=1, day=1), today.replace(month=12, day=31))


def resolve_period(first: date | None, last: date | None, as_of: date | None) -> Period:
    if as_of is not None:
        return Period(as_of, as_of)
    return period_of(first, last, default_period(date.today()))


def _group_json(group: dict[str, Any], tree: Tree) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in group.items():
        if key in ("branch", "region"):
            out[key] = {"id": str(value) if value else None, "name": tree.name(value) or "(none)"}
        else:
            out[key] = value
    return out


def _drill_params(group: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in group.items() if k not in ("branch", "region")}
    for kind in ("branch", "region"):
        if kind in group:
            params[kind] = str(group[kind]) if group[kind] else "none"
    return params


def _row_json(
    row: Row, tree: Tree, period: Period, organisation: uuid.UUID | None
) -> dict[str, Any]:
    # One encoded query per row, not per cell: encoding links was most of a large answer's
    # time (800 rows, 4000 links).
    base = link(
        DRILL,
        **{"from": period.first, "to": period.last},
        organisation_id=organisation,
        **_drill_params(row.group),
    )
    out: dict[str, Any] = {"group": _group_json(row.group, tree)}
    for column, cell in row.cells.items():
        out[column.value] = {
            "count": cell.count,
            "revenue": cell.revenue,
            "drill_down": f"{base}&column={column.value}",
        }
    return out


@router.get("")
async def get_subscription_statistics(
    principal: Reader,
    runtime: RuntimeDep,
    first: From = None,
    last: To = None,
    as_of: Annotated[
        date | None, Query(description="A one-day period: the state that day.")
    ] = None,
    group_by: Annotated[
        str | None, Query(description="Comma-separated: price_code, gender, branch, region.")
    ] = None,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Opening, New, Ended, Closing (= opening + new - ended) and Switched per product, as
    counts and monthly revenue ex VAT in minor units."""
    period = resolve_period(first, last, as_of)
    groups = groups_of(group_by, GROUPINGS)
    async with reading(runtime, principal, organisation_id) as ctx:
        stats = await subscription_statistics(ctx.session, ctx.scope, ctx.tree, period, groups)
        return {
            "from": period.first,
            "to": period.last,
            "group_by": ["product", *groups],
            "columns": [c.value for c in Column],
            "rows": [_row_json(r, ctx.tree, period, organisation_id) for r in stats.rows],
            "total": _row_json(stats.total, ctx.tree, period, organisation_id),
        }


def organisation_filter(tree: Tree, branch: str | None, region: str | None) -> DrillFilter:
    """The organisation part of a drill-down filter (product and the rest added by caller)."""
    inside: frozenset[uuid.UUID] | None = None
    outside: frozenset[uuid.UUID] = frozenset()
    for kind, raw in (("branch", branch), ("region", region)):
        if raw is None:
            continue
        if raw == "none":
            outside |= {o for o in tree.by_id if tree.nearest(o, kind) is not None}
            continue
        try:
            wanted = uuid.UUID(raw)
        except ValueError as exc:
            raise Problem(400, "bad-organisation", "Not an organisation id", raw) from exc
        found = frozenset(o for o in tree.by_id if tree.nearest(o, kind) == wanted)
        inside = found if inside is None else inside & found
    return DrillFilter(
        Column.OPENING.value, organisations=inside, not_organisations=outside or None
    )


@router.get("/subscriptions")
async def get_drill_down(
    principal: Reader,
    runtime: RuntimeDep,
    column: Annotated[
        Literal["opening", "new", "ended", "closing", "switched", "active"],
        Query(description="Which figure to open; active: valid on some day of the period."),
    ],
    first: From = None,
    last: To = None,
    as_of: Annotated[date | None, Query()] = None,
    product_code: str | None = None,
    price_code: str | None = None,
    gender: str | None = None,
    branch: Annotated[str | None, Query(description="Branch id, or 'none'.")] = None,
    region: Annotated[str | None, Query(description="Region id, or 'none'.")] = None,
    organisation_id: OrganisationQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The subscriptions behind one figure of the statistics."""
    period = resolve_period(first, last, as_of)
    async with reading(runtime, principal, organisation_id) as ctx:
        orgs = organisation_filter(ctx.tree, branch, region)
        flt = replace(
            orgs, column=column, product_code=product_code, price_code=price_code, gender=gender
        )
        total, items = await drill_down(
            ctx.session, ctx.scope, period, flt, limit=limit, offset=offset
        )
    params = {
        "from": period.first,
        "to": period.last,
        "column": column,
        "product_code": product_code,
        "price_code": price_code,
        "gender": gender,
        "branch": branch,
        "region": region,
        "organisation_id": organisation_id,
    }
    return {"items": items, **page(total, limit, offset, DRILL, **params)}
