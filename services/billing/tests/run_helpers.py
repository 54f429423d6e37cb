"""Helpers of the billing-run tests: a small catalogue with hand-computed prices, members with
subscriptions, and starting and following runs through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from federa.shared.testing.harness import eventually

from .conftest import Billing, create_membership

# ANNUAL: a fixed yearly price of 450.00 from 2025-01-01, whole years from the start, no
# discount: a subscription from 2025-01-01 is first charged 2025-01-01 to 2025-12-31, 450.00.
ANNUAL_PRICE = 45000
# MEDLEM (conftest `create_membership`): running year at half price first; from 2025-06-01
# that is 131.92 (hand computed in test_quote.py), then 450.00 a year.
MEDLEM_FIRST_CHARGE = 13192


async def create_annual(api: Billing, code: str = "ANNUAL") -> None:
    await api.call("POST", "/v1/products", {"code": code, "description": "Annual"}, expect=201)
    price_code = await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": code,
            "code": "STD",
            "description": "Standard",
            "external_description": "Annual dues",
            "first_term": {"years": 1},
            "subsequent_term": {"years": 1},
        },
        expect=201,
    )
    await api.call(
        "POST",
        f"/v1/price-codes/{price_code['id']}/prices",
        {"from_date": "2025-01-01", "amount": ANNUAL_PRICE},
        expect=201,
    )
    await api.call("PATCH", f"/v1/products/{code}", {"default_price_code": "STD"})
    await api.call(
        "POST",
        f"/v1/products/{code}/periods:generate",
        {"start": "2025-01-01", "count": 4, "length": {"years": 1}},
    )


@dataclass
class Population:
    """Members and their subscriptions, with what each subscription's first charge is."""

    members: list[uuid.UUID] = field(default_factory=list)
    subscriptions: dict[str, int] = field(default_factory=dict)  # id -> expected amount
    member_of: dict[str, uuid.UUID] = field(default_factory=dict)
    organisation_of: dict[str, uuid.UUID | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.subscriptions.values())


async def subscribe(
    api: Billing,
    population: Population,
    member: uuid.UUID,
    product: str,
    from_date: str,
    expected: int,
    organisation: uuid.UUID | None = None,
    **extra: Any,
) -> str:
    body = {"member_id": str(member), "product": product, "from_date": from_date, **extra}
    if organisation is not None:
        body["organisation_id"] = str(organisation)
    started = await api.call("POST", "/v1/subscriptions", body, expect=201)
    population.subscriptions[started["id"]] = expected
    population.member_of[started["id"]] = member
    population.organisation_of[started["id"]] = organisation
    return str(started["id"])


async def populate(
    api: Billing, members: int, *, branches: tuple[uuid.UUID, ...] = (), both_every: int = 3
) -> Population:
    """`members` members, each with an ANNUAL subscription from 2025-01-01; every
    `both_every`-th also with a MEDLEM from 2025-06-01 (two subscriptions, one payer)."""
    await create_membership(api)
    await create_annual(api)
    population = Population()
    for n in range(members):
        branch = branches[n % len(branches)] if branches else None
        member = await api.member_joins(
            f"Member {n}",
            member_number=n + 1,
            organisation_ids=(branch,) if branch is not None else (),
        )
        population.members.append(member)
        await subscribe(api, population, member, "ANNUAL", "2025-01-01", ANNUAL_PRICE, branch)
        if n % both_every == 0:
            await subscribe(
                api, population, member, "MEDLEM", "2025-06-01", MEDLEM_FIRST_CHARGE, branch
            )
    return population


async def start_run(api: Billing, expect: int = 202, **body: Any) -> dict[str, Any]:
    payload = {"posting_date": "2025-06-15", "bill_through_date": "2025-06-30", **body}
    run: dict[str, Any] = await api.call("POST", "/v1/billing-runs", payload, expect=expect)
    return run


async def finished(api: Billing, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        run: dict[str, Any] = await api.call("GET", f"/v1/billing-runs/{run_id}")
        return run if run["status"] in ("completed", "failed", "cancelled") else None

    result: dict[str, Any] = await eventually(done, timeout=timeout, interval=0.2)
    return result


async def all_documents(api: Billing, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = await api.call(
            "GET", "/v1/documents", params={**params, "limit": 500, "offset": len(found)}
        )
        found.extend(page["items"])
        if len(found) >= page["total"]:
            return found


async def lines_by_subscription(api: Billing, docs: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Every document line, with its document, by subscription id."""
    found: dict[str, list[Any]] = {}
    for doc in docs:
        full = await api.call("GET", f"/v1/documents/{doc['id']}")
        for line in full["lines"]:
            found.setdefault(line["subscription_id"], []).append((full, line))
    return found


async def add_unpriceable(
    runs: Billing,
    population: Population,
    *,
    member: uuid.UUID | None = None,
    define: bool = True,
) -> str:
    """A subscription of product LATE, whose calendar ends 2025-12-31: billing through June
    2025 needs product periods through 2026 (rule 26), so it fails with a clear reason."""
    if define:
        await runs.call("POST", "/v1/products", {"code": "LATE", "description": "Late"}, expect=201)
        code = await runs.call(
            "POST",
            "/v1/price-codes",
            {
                "product": "LATE",
                "code": "STD",
                "description": "Standard",
                "first_term": {"years": 1},
                "subsequent_term": {"years": 1},
            },
            expect=201,
        )
        await runs.call(
            "POST",
            f"/v1/price-codes/{code['id']}/prices",
            {"from_date": "2025-01-01", "amount": 1000},
            expect=201,
        )
        await runs.call(
            "POST",
            "/v1/products/LATE/periods:generate",
            {"start": "2025-01-01", "count": 1, "length": {"years": 1}},
        )
    return await subscribe(
        runs,
        population,
        member or population.members[0],
        "LATE",
        "2025-01-01",
        1000,
        price_code="STD",
    )
