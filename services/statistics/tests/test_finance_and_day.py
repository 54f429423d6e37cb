"""Finance KPIs, daily overview, to-do box and the event log on the reference history,
whose figures are worked out by hand in the comments."""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import Stats
from .histories import reference_history


@pytest.fixture
async def fed(stats: Stats) -> Stats:
    await stats.feed(reference_history(stats.tenant).events)
    return stats


async def test_finance_kpis_for_2024(fed: Stats) -> None:
    body = await fed.get("/v1/finance", from_="2024-01-01", to="2024-12-31")
    # anna 450, bo 300, dora 240, erik 160 became invoices in 2024 (carl's is 2023's).
    assert body["invoiced"]["count"] == 4
    assert body["invoiced"]["amount"] == 115000
    assert (body["paid"]["count"], body["paid"]["amount"]) == (2, 55000)
    # bo 200 left of 300, carl 400, dora 240, erik 160.
    assert (body["outstanding_invoices"]["count"], body["outstanding_invoices"]["amount"]) == (
        4,
        100000,
    )
    assert (body["outstanding_notices"]["count"], body["outstanding_notices"]["amount"]) == (
        1,
        24000,
    )
    assert (body["not_yet_sent"]["count"], body["not_yet_sent"]["amount"]) == (1, 12000)
    assert body["currency"] == "DKK"
    months = {row["bucket"]: row for row in body["series"]}
    assert len(months) == 12
    assert months["2024-01-01"]["invoiced"] == 75000
    assert months["2024-01-01"]["paid"] == 45000
    assert months["2024-05-01"]["notified"] == 24000
    assert sum(r["invoiced"] for r in body["series"]) == body["invoiced"]["amount"]
    assert sum(r["paid"] for r in body["series"]) == body["paid"]["amount"]


@pytest.mark.parametrize("grain", ["month", "week", "day"])
async def test_every_grain_sums_to_the_same_totals(fed: Stats, grain: str) -> None:
    body = await fed.get("/v1/finance", from_="2024-01-01", to="2024-06-30", grain=grain)
    assert sum(r["invoiced"] for r in body["series"]) == body["invoiced"]["amount"]
    assert sum(r["paid"] for r in body["series"]) == body["paid"]["amount"]


async def test_a_posted_order_counts_as_invoiced_and_a_cancelled_one_as_nothing(
    stats: Stats,
) -> None:
    h = reference_history(stats.tenant)
    h.pay("fia-pays", "fia-order", 24000, date(2024, 5, 20))
    h.post("fia-order", date(2024, 5, 20))
    h.cancel("bo-mag-draft")
    await stats.feed(h.events)
    body = await stats.get("/v1/finance", from_="2024-01-01", to="2024-12-31")
    assert body["invoiced"]["count"] == 5
    assert body["invoiced"]["amount"] == 139000
    assert body["outstanding_notices"]["count"] == 0
    assert body["not_yet_sent"]["count"] == 0


async def test_todo_box(fed: Stats) -> None:
    body = await fed.get("/v1/todo", on="2024-06-01")
    assert (body["overdue_invoices"]["count"], body["overdue_invoices"]["amount"]) == (4, 100000)
    assert (body["overdue_notices"]["count"], body["overdue_notices"]["amount"]) == (1, 24000)
    assert body["drafts_not_sent"]["count"] == 1
    assert (body["unidentified_payments"]["count"], body["unidentified_payments"]["amount"]) == (
        1,
        5000,
    )
    assert "unconfirmed_sessions" in body["not_fed"]
    assert body["payment_exceptions"] == {"count": 1, "amount": 20000}


async def test_daily_overview(fed: Stats) -> None:
    body = await fed.get("/v1/daily-overview", on="2024-07-01")
    days = {d["label"]: d for d in body["days"]}
    assert days["yesterday"]["subscriptions_ending"] == 1  # bo's membership ran through June
    assert days["today"]["subscriptions_starting"] == 1  # ... and his magazine starts
    assert days["today"]["documents_issued"] == 1  # the magazine's draft
    may = await fed.get("/v1/daily-overview", on="2024-05-01")
    today = next(d for d in may["days"] if d["label"] == "today")
    assert (
        today["documents_issued"],
        today["subscriptions_starting"],
        today["members_joined"],
    ) == (
        1,
        1,
        1,
    )


async def test_event_log_in_words_filtered_and_paginated(fed: Stats) -> None:
    h = reference_history(fed.tenant)
    issued = await fed.get("/v1/events", type="billing.document.issued", limit=5)
    assert issued["total"] == 7
    assert len(issued["items"]) == 5
    assert issued["next"]
    rest = await fed.get(issued["next"])
    assert len(rest["items"]) == 2
    assert rest["next"] is None
    texts = [i["text"] for i in issued["items"] + rest["items"]]
    assert "Invoice 10001 to anna, 450.00 DKK, issued" in texts
    annas = await fed.get("/v1/events", member_id=h.id("member:anna"), limit=100)
    assert {i["kind"] for i in annas["items"]} >= {
        "members.member.registered",
        "billing.subscription.started",
        "billing.document.issued",
    }
    assert all(i["member_id"] == str(h.id("member:anna")) for i in annas["items"])
    closed = await fed.get("/v1/events", outcome="closed")
    assert closed["total"] == 1
    assert "closed (paid)" in closed["items"][0]["text"]
    south = await fed.get("/v1/events", organisation_id=h.id("org:south"), limit=100)
    assert south["total"] > 0
    south_members = {str(h.id("member:dora")), str(h.id("member:erik"))}
    assert all(
        i["member_id"] in south_members
        or i["organisation_id"] in {str(h.id("org:south")), str(h.id("org:c"))}
        for i in south["items"]
    )


async def test_finance_and_todo_figures_drill_down_to_their_documents(fed: Stats) -> None:
    body = await fed.get("/v1/finance", from_="2024-01-01", to="2024-12-31")
    for figure, measure in (
        ("invoiced", "total_amount"),
        ("outstanding_invoices", "open"),
        ("outstanding_notices", "open"),
        ("not_yet_sent", "total_amount"),
    ):
        drill = await fed.get(body[figure]["drill_down"])
        assert drill["total"] == body[figure]["count"], figure
        assert sum(d[measure] for d in drill["items"]) == body[figure]["amount"], figure
    todo = await fed.get("/v1/todo", on="2024-06-01")
    overdue = await fed.get(todo["overdue_invoices"]["drill_down"])
    assert [d["payer_name"] for d in overdue["items"]] == ["carl", "bo", "erik", "dora"]
    assert sum(d["open"] for d in overdue["items"]) == todo["overdue_invoices"]["amount"]
