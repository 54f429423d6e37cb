"""What every statistics route shares: the reader permission, the caller's scope, periods,
groupings and pages, each turning bad input into problem+json."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.auth import Principal, requires
from federa.shared.http.problems import Problem
from federa.shared.service import Runtime
from federa.statistics.domain.periods import Period
from federa.statistics.queries.scope import Scope, Tree, load_tree, scope_of

Reader = Annotated[Principal, Depends(requires("members:read"))]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, description="Rows to skip.")]
OrganisationQuery = Annotated[
    uuid.UUID | None, Query(description="Narrow to this organisation's subtree.")
]


def period_of(first: date | None, last: date | None, default: Period) -> Period:
    first = first or default.first
    last = last or default.last
    if last < first:
        raise Problem(
            400,
            "bad-period",
            "Period ends before it starts",
            f"'to' ({last}) is before 'from' ({first}).",
        )
    return Period(first, last)


def groups_of(raw: str | None, allowed: tuple[str, ...]) -> list[str]:
    wanted = [g.strip() for g in (raw or "").split(",") if g.strip()]
    unknown = [g for g in wanted if g not in allowed and g != "product"]
    if unknown:
        raise Problem(
            400,
            "unknown-grouping",
            "Unknown grouping",
            f"Cannot group by {', '.join(unknown)}; choose from product, {', '.join(allowed)}.",
            allowed=["product", *allowed],
        )
    return [g for g in wanted if g != "product"]


@dataclass(frozen=True)
class Context:
    session: AsyncSession
    tree: Tree
    scope: Scope


@asynccontextmanager
async def reading(
    runtime: Runtime, principal: Principal, within: uuid.UUID | None = None
) -> AsyncIterator[Context]:
    async with runtime.db.sessions() as session:
        tree = await load_tree(session, principal.tenant)
        yield Context(session, tree, scope_of(principal, tree, within))


def link(path: str, **params: Any) -> str:
    clean = {k: str(v) for k, v in params.items() if v is not None}
    return f"{path}?{urlencode(clean)}" if clean else path


def page(total: int, limit: int, offset: int, path: str, **params: Any) -> dict[str, Any]:
    more = offset + limit < total
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next": link(path, **params, limit=limit, offset=offset + limit) if more else None,
    }
