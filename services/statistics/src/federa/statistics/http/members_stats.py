"""/v1/members-statistics (SPEC §4.3) and /v1/settings: which products grant membership and
which cancellation reasons the federation could have influenced."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from federa.shared.auth import Principal, requires
from federa.shared.service import RuntimeDep
from federa.statistics.domain.membership import MemberMovement
from federa.statistics.domain.periods import Period
from federa.statistics.http.common import (
    Limit,
    Offset,
    OrganisationQuery,
    Reader,
    link,
    page,
    reading,
)
from federa.statistics.http.subscription_stats import resolve_period
from federa.statistics.queries.members_stats import members_in, members_statistics, membership_spans
from federa.statistics.queries.scope import Tree
from federa.statistics.storage.tables import members, product_settings, reason_settings

router = APIRouter(prefix="/v1", tags=["members statistics"])
# Only the superuser's "*" holds it (MEMBER SUPER: "setup of products").
SettingsWriter = Annotated[Principal, Depends(requires("statistics:settings:write"))]
MemberColumn = Literal["opening", "joined", "left", "closing"]
DRILL = "/v1/members-statistics/members"


def _movement(
    m: MemberMovement, influenceable: frozenset[str], drill: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in ("opening", "joined", "left", "closing"):
        out[column] = {
            "count": getattr(m, column),
            "drill_down": link(DRILL, column=column, **drill),
        }
    out["leave_reasons"] = [
        {"reason": reason, "count": n, "influenceable": reason in influenceable}
        for reason, n in sorted(m.leave_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    out["influenceable_left"] = m.influenceable_left
    return out


def _group(tree: Tree, kind: str | None, org: uuid.UUID | None) -> dict[str, Any]:
    if kind is None:
        return {}
    return {kind: {"id": str(org) if org else None, "name": tree.name(org) or "(none)"}}


@router.get("/members-statistics")
async def get_members_statistics(
    principal: Reader,
    runtime: RuntimeDep,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    as_of: Annotated[date | None, Query()] = None,
    group_by: Annotated[Literal["branch", "region"] | None, Query()] = None,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Members by the membership definition: opening, joined, left, closing (persons), leave
    reasons with the influenceable ones flagged, and leaves recorded in the register."""
    period = resolve_period(first, last, as_of)
    async with reading(runtime, principal, organisation_id) as ctx:
        result = await members_statistics(ctx.session, ctx.scope, ctx.tree, period, group_by)
        base = {"from": period.first, "to": period.last, "organisation_id": organisation_id}
        rows = []
        for row in result["rows"]:
            drill: dict[str, Any] = {**base}
            if group_by:
                drill[group_by] = str(row["group"]) if row["group"] else "none"
            rows.append(
                {
                    "group": _group(ctx.tree, group_by, row["group"]),
                    **_movement(row["movement"], result["influenceable"], drill),
                }
            )
        return {
            "from": period.first,
            "to": period.last,
            "definition": "a person using a subscription of a product that grants membership "
            "and that renews by itself, or has a commitment or a billing interval of at least "
            "12 months (SPEC §4.3)",
            "rows": rows,
            "total": _movement(result["total"], result["influenceable"], base),
            "register_leaves": [
                {"reason": r, "count": n} for r, n in result["register_leaves"].most_common()
            ],
        }


@router.get("/members-statistics/members")
async def get_members_drill_down(
    principal: Reader,
    runtime: RuntimeDep,
    column: MemberColumn,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    branch: str | None = None,
    region: str | None = None,
    organisation_id: OrganisationQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The members behind one figure of the members statistics."""
    period: Period = resolve_period(first, last, None)
    async with reading(runtime, principal, organisation_id) as ctx:
        all_spans, orgs = await membership_spans(ctx.session, ctx.scope, period)
        for kind, raw in (("branch", branch), ("region", region)):
            if raw is not None:
                all_spans = [
                    s
                    for s in all_spans
                    if str(ctx.tree.nearest(orgs.get(s.member_id), kind) or "none") == raw
                ]
        ids = members_in(all_spans, period, column)
        chosen = ids[offset : offset + limit]
        found = await ctx.session.execute(
            select(members.c.member_id, members.c.member_number, members.c.name).where(
                members.c.member_id.in_(chosen)
            )
        )
        by_id = {r.member_id: r for r in found}
    items = [
        {
            "member_id": m,
            "member_number": getattr(by_id.get(m), "member_number", None),
            "name": getattr(by_id.get(m), "name", None),
        }
        for m in chosen
    ]
    params = {
        "from": period.first,
        "to": period.last,
        "column": column,
        "branch": branch,
        "region": region,
        "organisation_id": organisation_id,
    }
    return {"items": items, **page(len(ids), limit, offset, DRILL, **params)}


class ProductSetting(BaseModel):
    grants_membership: bool


class InfluenceableReasons(BaseModel):
    reason_codes: list[str] = Field(max_length=500)


@router.get("/settings")
async def get_settings(principal: Reader, runtime: RuntimeDep) -> dict[str, Any]:
    """Products without a setting grant membership (the recommended definition: take the flag
    off staff cards and the like)."""
    async with runtime.db.sessions() as session:
        products = await session.execute(
            select(product_settings).where(product_settings.c.tenant == principal.tenant)
        )
        reasons = await session.execute(
            select(reason_settings.c.reason_code).where(
                reason_settings.c.tenant == principal.tenant,
                reason_settings.c.influenceable.is_(True),
            )
        )
        return {
            "default_grants_membership": True,
            "products": [
                {"product_code": r.product_code, "grants_membership": r.grants_membership}
                for r in products
            ],
            "influenceable_reasons": sorted(r.reason_code for r in reasons),
        }


@router.put("/settings/products/{product_code}")
async def put_product_setting(
    product_code: Annotated[str, Field(min_length=1, max_length=10)],
    body: ProductSetting,
    principal: SettingsWriter,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    async with runtime.db.transaction() as session:
        statement = insert(product_settings).values(
            tenant=principal.tenant,
            product_code=product_code,
            grants_membership=body.grants_membership,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant", "product_code"],
                set_={"grants_membership": body.grants_membership},
            )
        )
    return {"product_code": product_code, "grants_membership": body.grants_membership}


@router.put("/settings/influenceable-reasons")
async def put_influenceable_reasons(
    body: InfluenceableReasons, principal: SettingsWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Replace the list of cancellation reason codes the federation could have influenced."""
    codes = sorted(set(body.reason_codes))
    async with runtime.db.transaction() as session:
        await session.execute(
            delete(reason_settings).where(reason_settings.c.tenant == principal.tenant)
        )
        if codes:
            await session.execute(
                insert(reason_settings).values(
                    [
                        {"tenant": principal.tenant, "reason_code": c, "influenceable": True}
                        for c in codes
                    ]
                )
            )
    return {"influenceable_reasons": codes}
