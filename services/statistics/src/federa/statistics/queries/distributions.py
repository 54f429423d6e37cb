"""Price-code, postcode and age distributions as of a date (SPEC §1.5, §2.5 items 1-4)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain.ages import age_bucket
from federa.statistics.queries.scope import Scope

_ACTIVE = """
WITH active AS (
    SELECT s.subscription_id, s.member_id, s.product_code,
           COALESCE((SELECT pc.price_code FROM subscription_price_codes pc
                     WHERE pc.subscription_id = s.subscription_id AND pc.from_date <= :d
                     ORDER BY pc.from_date DESC LIMIT 1), s.price_code) AS price_code,
           s.delivered_qty,
           m.gender, m.postcode, m.birth_date, m.birth_year, m.member_number, m.name
    FROM subscriptions s
    LEFT JOIN members m ON m.member_id = s.member_id
    WHERE s.tenant = :tenant AND s.from_date <= :d AND (s.end_date IS NULL OR s.end_date >= :d)
      AND (CAST(:product AS text) IS NULL OR s.product_code = :product)
      AND (CAST(:orgs AS uuid[]) IS NULL
           OR COALESCE(s.organisation_id, m.organisation_id) = ANY(CAST(:orgs AS uuid[])))
)
"""


def _params(scope: Scope, day: date, product: str | None) -> dict[str, Any]:
    return {"tenant": scope.tenant, "orgs": scope.sql_orgs(), "d": day, "product": product}


async def by_price_code(
    session: AsyncSession, scope: Scope, day: date, product: str | None
) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            _ACTIVE
            + """
SELECT product_code, price_code, count(*) AS subscriptions,
       COALESCE(sum(delivered_qty), 0) AS deliveries, count(DISTINCT member_id) AS members,
       count(*) FILTER (WHERE gender = 'F') AS female,
       count(*) FILTER (WHERE gender = 'M') AS male,
       count(*) FILTER (WHERE gender IS NULL OR gender NOT IN ('F', 'M')) AS other_or_unknown
FROM active GROUP BY 1, 2 ORDER BY 1, 2
"""
        ),
        _params(scope, day, product),
    )
    return [
        {k: (int(v) if k not in ("product_code", "price_code") else v) for k, v in r.items()}
        for r in rows.mappings()
    ]


async def by_postcode(
    session: AsyncSession, scope: Scope, day: date, product: str | None
) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            _ACTIVE
            + """
SELECT product_code, COALESCE(postcode, '(none)') AS postcode, count(*) AS subscriptions,
       COALESCE(sum(delivered_qty), 0) AS deliveries, count(DISTINCT member_id) AS members
FROM active GROUP BY 1, 2 ORDER BY 1, 2
"""
        ),
        _params(scope, day, product),
    )
    return [
        {k: (int(v) if k not in ("product_code", "postcode") else v) for k, v in r.items()}
        for r in rows.mappings()
    ]


async def ages(
    session: AsyncSession,
    scope: Scope,
    day: date,
    product: str | None,
    year_threshold: int,
    age_threshold: int,
) -> tuple[Counter[tuple[str, str]], list[dict[str, Any]]]:
    rows = await session.execute(
        text(
            _ACTIVE
            + """
SELECT DISTINCT member_id, member_number, name, birth_date, birth_year FROM active
ORDER BY member_number, member_id
"""
        ),
        _params(scope, day, product),
    )
    buckets: Counter[tuple[str, str]] = Counter()
    people = []
    for r in rows.mappings():
        bucket = age_bucket(r["birth_date"], r["birth_year"], day, year_threshold, age_threshold)
        buckets[bucket] += 1
        people.append({**dict(r), "born": bucket[0], "age": bucket[1]})
    return buckets, people
