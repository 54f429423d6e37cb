"""Members by SPEC §4.3, and the price-code, postcode and age distributions as of a date."""

from __future__ import annotations

import pytest

from federa.shared.auth import Role

from .conftest import Stats
from .histories import reference_history


@pytest.fixture
async def fed(stats: Stats) -> Stats:
    await stats.feed(reference_history(stats.tenant).events)
    return stats


async def _put(stats: Stats, path: str, body: object, expect: int = 200) -> None:
    response = await stats.service.client.put(
        path, json=body, headers=stats.headers(role=Role.SUPERUSER)
    )
    assert response.status_code == expect, response.text


async def test_members_by_the_membership_definition(fed: Stats) -> None:
    """anna (running since 2023) opens; fia (running from May) joins; bo's six-month
    commitment and dora's half-year card grant nothing; with magazines not granting
    membership, bo's and erik's magazines count neither."""
    await _put(fed, "/v1/settings/products/MAG", {"grants_membership": False})
    body = await fed.get("/v1/members-statistics", from_="2024-01-01", to="2024-12-31")
    total = body["total"]
    counts = {c: total[c]["count"] for c in ("opening", "joined", "left", "closing")}
    assert counts == {"opening": 1, "joined": 1, "left": 0, "closing": 2}
    assert body["register_leaves"] == [{"reason": "deceased", "count": 1}]
    joined = await fed.get(total["joined"]["drill_down"])
    assert [m["name"] for m in joined["items"]] == ["fia"]
    # carl's two-year commitment made him a member until the end of 2023.
    y2023 = (await fed.get("/v1/members-statistics", from_="2023-01-01", to="2023-12-31"))["total"]
    assert [y2023[c]["count"] for c in ("opening", "joined", "left", "closing")] == [1, 1, 1, 1]


async def test_influenceable_leaves_are_reported_apart(fed: Stats) -> None:
    await _put(fed, "/v1/settings/influenceable-reasons", {"reason_codes": ["MOVED"]})
    body = await fed.get(
        "/v1/members-statistics", from_="2024-01-01", to="2024-12-31", group_by="region"
    )
    total = body["total"]
    # magazines grant membership by default: erik's (stopped, MOVED) and bo's count too.
    assert [total[c]["count"] for c in ("opening", "joined", "left", "closing")] == [1, 3, 1, 3]
    assert total["leave_reasons"] == [{"reason": "MOVED", "count": 1, "influenceable": True}]
    assert total["influenceable_left"] == 1
    by_region = {r["group"]["region"]["name"]: r for r in body["rows"]}
    assert by_region["south"]["left"]["count"] == 1
    assert sum(r["closing"]["count"] for r in body["rows"]) == total["closing"]["count"]


async def test_settings_need_the_superuser(fed: Stats) -> None:
    response = await fed.service.client.put(
        "/v1/settings/products/MAG", json={"grants_membership": False}, headers=fed.headers()
    )
    assert response.status_code == 403


async def test_price_code_postcode_and_age_distributions(fed: Stats) -> None:
    prices = await fed.get("/v1/price-code-statistics", as_of="2024-06-30")
    by_code = {(r["product_code"], r["price_code"]): r for r in prices["rows"]}
    assert by_code[("MEMB", "STD")]["subscriptions"] == 2  # anna, and bo's last day
    assert (by_code[("MEMB", "STD")]["female"], by_code[("MEMB", "STD")]["male"]) == (1, 1)
    assert by_code[("MEMB", "HALF")]["subscriptions"] == 1
    assert by_code[("MAG", "STD")]["members"] == 1
    drill = await fed.get(by_code[("MEMB", "STD")]["drill_down"])
    assert drill["total"] == 2
    # fia studies until September: her price code is the one in force on the day asked for.
    assert by_code[("MEMB", "STUD")]["subscriptions"] == 1
    october = await fed.get("/v1/price-code-statistics", as_of="2024-10-01", product_code="MEMB")
    assert {r["price_code"]: r["subscriptions"] for r in october["rows"]} == {"STD": 2}
    postcodes = await fed.get("/v1/postcode-statistics", as_of="2024-06-30", product_code="MEMB")
    assert {r["postcode"]: r["subscriptions"] for r in postcodes["rows"]} == {
        "2100": 2,
        "2200": 1,
        "8000": 1,
    }
    ages = await fed.get("/v1/age-distribution", as_of="2024-06-30")
    buckets = {(b["born"], b["age"]): b["members"] for b in ages["buckets"]}
    assert buckets == {("from", "at_least"): 1, ("from", "under"): 3, ("unknown", "unknown"): 1}
    assert ages["total"] == 5
    assert len(ages["members"]) == 5
