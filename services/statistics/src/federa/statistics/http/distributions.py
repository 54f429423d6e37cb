"""/v1/price-code-statistics, /v1/postcode-statistics and /v1/age-distribution, as of a date."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from federa.shared.service import RuntimeDep
from federa.statistics.domain.ages import DEFAULT_AGE, DEFAULT_BIRTH_YEAR
from federa.statistics.http.common import (
    Limit,
    Offset,
    OrganisationQuery,
    Reader,
    link,
    page,
    reading,
)
from federa.statistics.queries import distributions

router = APIRouter(prefix="/v1", tags=["distributions"])
AsOf = Annotated[date | None, Query(description="The date; today if left out.")]
Product = Annotated[str | None, Query(description="One product only.")]
DRILL = "/v1/subscription-statistics/subscriptions"


@router.get("/price-code-statistics")
async def get_price_code_statistics(
    principal: Reader,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    product_code: Product = None,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Active subscriptions, deliveries and members per product and price code, with the
    members' gender."""
    day = as_of or date.today()
    async with reading(runtime, principal, organisation_id) as ctx:
        rows = await distributions.by_price_code(ctx.session, ctx.scope, day, product_code)
    for row in rows:
        row["drill_down"] = link(
            DRILL,
            as_of=day,
            column="active",
            product_code=row["product_code"],
            price_code=row["price_code"],
            organisation_id=organisation_id,
        )
    return {"as_of": day, "rows": rows}


@router.get("/postcode-statistics")
async def get_postcode_statistics(
    principal: Reader,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    product_code: Product = None,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Active subscriptions, deliveries and members per product and the member's postcode."""
    day = as_of or date.today()
    async with reading(runtime, principal, organisation_id) as ctx:
        rows = await distributions.by_postcode(ctx.session, ctx.scope, day, product_code)
    for row in rows:
        row["drill_down"] = link(
            DRILL,
            as_of=day,
            column="active",
            product_code=row["product_code"],
            organisation_id=organisation_id,
        )
    return {"as_of": day, "rows": rows}


@router.get("/age-distribution")
async def get_age_distribution(
    principal: Reader,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    product_code: Product = None,
    birth_year: Annotated[int, Query(ge=1850, le=2200)] = DEFAULT_BIRTH_YEAR,
    age: Annotated[int, Query(ge=0, le=150)] = DEFAULT_AGE,
    organisation_id: OrganisationQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Members with an active subscription (of the product) born before or from `birth_year`
    and at least or under `age` on the date; the list pages through the members."""
    day = as_of or date.today()
    async with reading(runtime, principal, organisation_id) as ctx:
        buckets, people = await distributions.ages(
            ctx.session, ctx.scope, day, product_code, birth_year, age
        )
    params = {
        "as_of": day,
        "product_code": product_code,
        "birth_year": birth_year,
        "age": age,
        "organisation_id": organisation_id,
    }
    return {
        "as_of": day,
        "birth_year": birth_year,
        "age": age,
        "buckets": [
            {"born": born, "age": bucket, "members": n}
            for (born, bucket), n in sorted(buckets.items())
        ],
        "members": people[offset : offset + limit],
        **page(len(people), limit, offset, "/v1/age-distribution", **params),
    }
