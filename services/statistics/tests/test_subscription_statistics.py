"""Subscription statistics over real events published on the bus into the running service:
the API gives what the pure §4.2 rules give on the facts the history should yield."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from federa.statistics.domain.movement import Column, SubscriptionFact, movement
from federa.statistics.domain.periods import Period

from .conftest import Stats
from .histories import EXPECTED_FACTS, reference_history

PERIODS = [
    Period(date(2024, 1, 1), date(2024, 12, 31)),
    Period(date(2024, 1, 1), date(2024, 3, 31)),
    Period(date(2024, 4, 1), date(2024, 6, 30)),
    Period(date(2024, 7, 1), date(2024, 9, 30)),
    Period(date(2023, 1, 1), date(2023, 12, 31)),
    Period(date(2024, 6, 30), date(2024, 6, 30)),
]


def expected_table(stats: Stats, period: Period) -> dict[str, dict[str, tuple[int, int]]]:
    history = reference_history(stats.tenant)
    facts = [
        SubscriptionFact(
            history.id(f"sub:{label}"), history.id(f"member:{member}"), product, start, end, revenue
        )
        for label, member, product, start, end, revenue in EXPECTED_FACTS
    ]
    table = movement(facts, period, key=lambda f: f.product_code)
    return {
        product: {c.value: (cell.count, cell.revenue) for c, cell in row.cells.items()}
        for product, row in table.rows.items()
    }


def api_table(body: dict[str, Any]) -> dict[str, dict[str, tuple[int, int]]]:
    return {
        row["group"]["product_code"]: {
            c.value: (row[c.value]["count"], row[c.value]["revenue"]) for c in Column
        }
        for row in body["rows"]
    }


@pytest.fixture
async def published(stats: Stats) -> Stats:
    await stats.publish(reference_history(stats.tenant).events)
    return stats


async def test_the_api_gives_the_rules_figures_for_every_period(published: Stats) -> None:
    for period in PERIODS:
        body = await published.get(
            "/v1/subscription-statistics", from_=period.first, to=period.last
        )
        assert api_table(body) == expected_table(published, period), period


async def test_opening_plus_new_minus_ended_is_closing_in_every_group(published: Stats) -> None:
    body = await published.get(
        "/v1/subscription-statistics",
        from_="2024-01-01",
        to="2024-12-31",
        group_by="price_code,gender,branch,region",
    )
    assert len(body["rows"]) > 3
    for row in [*body["rows"], body["total"]]:
        for measure in ("count", "revenue"):
            assert (
                row["opening"][measure] + row["new"][measure] - row["ended"][measure]
                == row["closing"][measure]
            ), row


async def test_2024_in_words(published: Stats) -> None:
    """The history read by hand: bo's membership (billed through March, committed through
    June) runs until June and is switched to his magazine; dora's half-year card is no switch
    because the running one after it was deleted; the deleted one is nowhere."""
    body = await published.get("/v1/subscription-statistics", from_="2024-01-01", to="2024-12-31")
    memb = next(r for r in body["rows"] if r["group"]["product_code"] == "MEMB")
    mag = next(r for r in body["rows"] if r["group"]["product_code"] == "MAG")
    # anna opening; bo, dora-half, fia new; bo, dora-half ended.
    assert (memb["opening"]["count"], memb["new"]["count"], memb["ended"]["count"]) == (1, 3, 2)
    assert memb["switched"]["count"] == 1  # bo's, the old side
    assert mag["switched"]["count"] == 1  # bo's magazine, the new side
    drill = await published.get(memb["switched"]["drill_down"])
    assert [i["subscription_no"] for i in drill["items"]] == [2]
    june = await published.get("/v1/subscription-statistics", as_of="2024-06-30")
    memb_june = next(r for r in june["rows"] if r["group"]["product_code"] == "MEMB")
    assert memb_june["ended"]["count"] == 1  # bo's runs through the 30th of June
    all_new = await published.get(
        "/v1/subscription-statistics/subscriptions",
        from_="2024-01-01",
        to="2024-12-31",
        column="new",
        limit=100,
    )
    history = reference_history(published.tenant)
    assert str(history.id("sub:dora-run")) not in {i["subscription_id"] for i in all_new["items"]}


async def test_every_figure_drills_down_to_its_subscriptions(published: Stats) -> None:
    body = await published.get(
        "/v1/subscription-statistics", from_="2024-01-01", to="2024-12-31", group_by="branch"
    )
    for row in body["rows"]:
        for column in Column:
            cell = row[column.value]
            drill = await published.get(cell["drill_down"] + "&limit=500")
            assert drill["total"] == cell["count"] == len(drill["items"])
            assert sum(i["monthly_revenue"] for i in drill["items"]) == cell["revenue"]


@pytest.mark.parametrize(
    ("params", "kind"),
    [
        ({"from_": "2024-05-01", "to": "2024-04-01"}, "bad-period"),
        ({"group_by": "colour"}, "unknown-grouping"),
    ],
)
async def test_bad_parameters_are_problems(stats: Stats, params: dict[str, str], kind: str) -> None:
    response = await stats.service.client.get(
        "/v1/subscription-statistics",
        params={k.rstrip("_"): v for k, v in params.items()},
        headers=stats.headers(),
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(kind)
