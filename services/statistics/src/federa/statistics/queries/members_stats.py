"""Members by SPEC §4.3: the qualifying subscriptions are read here, the spans and the
movement come from the pure rules in `domain.membership`."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain.membership import (
    Span,
    Spell,
    grants_membership,
    member_movement,
    spans,
)
from federa.statistics.domain.periods import Period
from federa.statistics.queries.scope import Scope, Tree
from federa.statistics.storage.tables import reason_settings

_SPELLS = """
SELECT s.member_id, s.from_date, s.end_date, s.stop_reason, s.to_date IS NULL AS running,
       s.commitment_months,
       GREATEST(s.charge_interval_months, COALESCE((
           SELECT max(pc.term_months) FROM price_codes pc
           WHERE pc.tenant = s.tenant AND pc.product_code = s.product_code
             AND pc.price_code = s.price_code), 0)) AS interval_months,
       COALESCE(ps.grants_membership, true) AS product_grants,
       m.organisation_id AS org
FROM subscriptions s
JOIN members m ON m.member_id = s.member_id
LEFT JOIN product_settings ps ON ps.tenant = s.tenant AND ps.product_code = s.product_code
WHERE s.tenant = :tenant AND s.from_date <= :last
  AND (CAST(:orgs AS uuid[]) IS NULL OR m.organisation_id = ANY(CAST(:orgs AS uuid[])))
"""


async def influenceable_reasons(session: AsyncSession, tenant: str) -> frozenset[str]:
    rows = await session.execute(
        select(reason_settings.c.reason_code).where(
            reason_settings.c.tenant == tenant, reason_settings.c.influenceable.is_(True)
        )
    )
    return frozenset(r.reason_code for r in rows)


async def membership_spans(
    session: AsyncSession, scope: Scope, period: Period
) -> tuple[list[Span], dict[uuid.UUID, uuid.UUID | None]]:
    rows = await session.execute(
        text(_SPELLS), {"tenant": scope.tenant, "orgs": scope.sql_orgs(), "last": period.last}
    )
    spells: list[Spell] = []
    orgs: dict[uuid.UUID, uuid.UUID | None] = {}
    for r in rows.mappings():
        if not grants_membership(
            product_grants=r["product_grants"],
            auto_renews=r["running"],
            commitment_months=r["commitment_months"],
            interval_months=r["interval_months"],
        ):
            continue
        spells.append(Spell(r["member_id"], r["from_date"], r["end_date"], r["stop_reason"]))
        orgs[r["member_id"]] = r["org"]
    return spans(spells), orgs


async def members_statistics(
    session: AsyncSession, scope: Scope, tree: Tree, period: Period, group_by: str | None
) -> dict[str, Any]:
    all_spans, orgs = await membership_spans(session, scope, period)
    influenceable = await influenceable_reasons(session, scope.tenant)
    grouped: dict[uuid.UUID | None, list[Span]] = defaultdict(list)
    for span in all_spans:
        key = tree.nearest(orgs.get(span.member_id), group_by) if group_by else None
        grouped[key].append(span)
    rows = []
    for key, own in sorted(grouped.items(), key=lambda kv: tree.name(kv[0]) or ""):
        result = member_movement(own, period, influenceable)
        rows.append({"group": key, "movement": result})
    total = member_movement(all_spans, period, influenceable)
    register = await session.execute(
        text(
            """
SELECT COALESCE(leaving_reason, '(none)') AS reason, count(*) AS n FROM members
WHERE tenant = :tenant AND leaving_date BETWEEN :first AND :last
  AND (CAST(:orgs AS uuid[]) IS NULL OR organisation_id = ANY(CAST(:orgs AS uuid[])))
GROUP BY 1 ORDER BY 2 DESC, 1
"""
        ),
        {
            "tenant": scope.tenant,
            "orgs": scope.sql_orgs(),
            "first": period.first,
            "last": period.last,
        },
    )
    return {
        "rows": rows,
        "total": total,
        "influenceable": influenceable,
        "register_leaves": Counter({r.reason: int(r.n) for r in register}),
    }


def members_in(all_spans: list[Span], period: Period, column: str) -> list[uuid.UUID]:
    """The members behind one figure (drill-down), by the same rules as the movement."""
    out = []
    for s in all_spans:
        if s.first > period.last or (s.last is not None and s.last < period.first):
            continue
        ended = s.last is not None and s.last <= period.last
        hit = {
            "opening": s.first < period.first,
            "joined": s.first >= period.first,
            "left": ended,
            "closing": not ended,
        }[column]
        if hit:
            out.append(s.member_id)
    return sorted(set(out))
