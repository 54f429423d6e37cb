"""Replaying the same history in another order, with duplicates, or from the archive gives
the same figures; and every organisation's figures add up to its parent's."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from federa.shared.testing.harness import RunningService
from federa.statistics.fixtures import History
from federa.statistics.rebuild import rebuild

from .conftest import Stats, shuffled_with_duplicates
from .histories import reference_history

FIGURES: list[tuple[str, dict[str, Any]]] = [
    (
        "/v1/subscription-statistics",
        {"from": "2024-01-01", "to": "2024-12-31", "group_by": "price_code,gender,branch,region"},
    ),
    ("/v1/subscription-statistics", {"as_of": "2024-06-30", "group_by": "region"}),
    ("/v1/finance", {"from": "2024-01-01", "to": "2024-12-31", "grain": "week"}),
    ("/v1/todo", {"on": "2024-06-01"}),
    ("/v1/daily-overview", {"on": "2024-07-01"}),
    ("/v1/members-statistics", {"from": "2024-01-01", "to": "2024-12-31", "group_by": "branch"}),
    ("/v1/price-code-statistics", {"as_of": "2024-06-30"}),
    ("/v1/postcode-statistics", {"as_of": "2024-06-30"}),
    ("/v1/age-distribution", {"as_of": "2024-06-30", "limit": "100"}),
    (
        "/v1/subscription-statistics/subscriptions",
        {"from": "2024-01-01", "to": "2024-12-31", "column": "closing", "limit": "100"},
    ),
]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def figures(stats: Stats, history: History) -> list[Any]:
    """Every figure, with the history's ids replaced by their labels so that two tenants'
    copies of one history compare equal."""
    out = []
    for path, params in FIGURES:
        body = await stats.get(path, **params)
        text = json.dumps(body, sort_keys=True, default=str)
        out.append(json.loads(_UUID.sub(lambda m: history.labels.get(m[0], "?"), text)))
    log = await stats.get("/v1/events", limit=500)
    out.append(sorted(i["text"] for i in log["items"]))
    return out


async def test_any_order_with_duplicates_and_a_rebuild_give_the_same_figures(
    statistics: RunningService, tenant: str
) -> None:
    first = Stats(statistics, f"{tenant}-in-order")
    history_1 = reference_history(first.tenant)
    await first.feed(history_1.events)
    expected = await figures(first, history_1)

    for seed in (1, 2):
        other = Stats(statistics, f"{tenant}-shuffled-{seed}")
        history_2 = reference_history(other.tenant)
        await other.feed(shuffled_with_duplicates(history_2.events, seed))
        got = await figures(other, history_2)
        for a, b in zip(got, expected, strict=True):
            assert a == b, json.dumps([a, b], indent=1)[:3000]

    # The rebuild folds each subscription once per batch, in one read and one write for the
    # batch: small batches split a subscription's events and charges across batches, one batch
    # holds the whole history, one event per batch is the consumer's own pace.
    for batch in (7, 10_000, 1):
        result = await rebuild(statistics.runtime.db, tenant=first.tenant, batch=batch)
        assert result.events == len(history_1.events)
        assert await figures(first, history_1) == expected, batch


def _numbers(body: Any, prefix: str = "") -> dict[str, int]:
    """Every count and amount in a response, by its path (links and labels left out)."""
    out: dict[str, int] = {}
    if isinstance(body, dict):
        for key, value in body.items():
            if key not in ("group", "from", "to", "on", "as_of", "bucket", "day", "label"):
                out |= _numbers(value, f"{prefix}.{key}")
    elif isinstance(body, list):
        for i, value in enumerate(body):
            out |= _numbers(value, f"{prefix}[{i}]")
    elif isinstance(body, int) and not isinstance(body, bool):
        out[prefix] = body
    return out


SCOPED: list[tuple[str, dict[str, Any]]] = [
    ("/v1/subscription-statistics", {"from": "2024-01-01", "to": "2024-12-31"}),
    ("/v1/finance", {"from": "2024-01-01", "to": "2024-12-31"}),
    ("/v1/daily-overview", {"on": "2024-07-01"}),
    ("/v1/members-statistics", {"from": "2024-01-01", "to": "2024-12-31"}),
]


async def test_subtree_totals_add_up_to_the_parents(stats: Stats) -> None:
    history = reference_history(stats.tenant)
    await stats.feed(history.events)
    tree = {"federation": ["north", "south"], "north": ["a", "b"], "south": ["c"]}
    for path, params in SCOPED:

        async def seen_by(org: str, path: str = path, params: dict[str, Any] = params) -> Any:
            body = await stats.get(path, orgs=(str(history.id(f"org:{org}")),), **params)
            # Rows differ from one organisation to the next; totals and series line up.
            return body.get("total", body)

        for parent, children in tree.items():
            whole = _numbers(await seen_by(parent))
            parts = [_numbers(await seen_by(child)) for child in children]
            assert parent != "federation" or any(whole.values()), path
            assert {k: sum(p.get(k, 0) for p in parts) for k in whole} == whole, (path, parent)
        everything = _numbers((lambda b: b.get("total", b))(await stats.get(path, **params)))
        if path != "/v1/daily-overview":  # the unidentified payment belongs to no branch
            assert everything == _numbers(await seen_by("federation")), path


async def test_a_branch_cannot_ask_for_another_branch(stats: Stats) -> None:
    history = reference_history(stats.tenant)
    await stats.feed(history.events)
    await stats.get(
        "/v1/subscription-statistics",
        expect=403,
        orgs=(str(history.id("org:a")),),
        organisation_id=str(history.id("org:b")),
    )
    narrowed = await stats.get(
        "/v1/subscription-statistics",
        orgs=(str(history.id("org:north")),),
        organisation_id=str(history.id("org:a")),
        from_="2024-01-01",
        to="2024-12-31",
    )
    own = await stats.get(
        "/v1/subscription-statistics",
        orgs=(str(history.id("org:a")),),
        from_="2024-01-01",
        to="2024-12-31",
    )
    assert _numbers(narrowed["total"]) == _numbers(own["total"])


def corrected_history(tenant: str) -> History:
    """The reference history plus the events a batched rebuild must not reorder around: a
    cancelled order (its projector reads the charges the batch wrote), a credit memo, a
    posted draft, a second invoice, and an erasure (it rewrites the copies and the archive)."""
    h = reference_history(tenant)
    h.post("bo-mag-draft", date(2024, 7, 5))
    h.cancel("fia-order")
    h.invoice(
        "fia-invoice",
        [("fia-memb", date(2024, 5, 1), date(2025, 4, 30), 24000)],
        posting_date=date(2024, 6, 1),
        due_date=date(2024, 6, 30),
    )
    h.credit(
        "erik-back",
        "erik-mag",
        "erik-mag",
        date(2024, 9, 1),
        date(2024, 9, 30),
        2000,
        date(2024, 10, 2),
    )
    h.erase("erik")
    h.change_price_code("anna-memb", "PENS", date(2024, 7, 1))
    return h


async def test_a_batched_rebuild_equals_event_by_event_projection(
    statistics: RunningService, tenant: str
) -> None:
    stats = Stats(statistics, f"{tenant}-corrected")
    history = corrected_history(stats.tenant)
    await stats.feed(history.events)
    expected = await figures(stats, history)
    # One event per batch is the consumer's own pace; 3 splits each subscription's events and
    # charges over batches; 10,000 replays everything in one transaction, one fold each.
    for batch in (1, 3, 10_000):
        result = await rebuild(statistics.runtime.db, tenant=stats.tenant, batch=batch)
        assert result.events == len(history.events)
        got = await figures(stats, history)
        for a, b in zip(got, expected, strict=True):
            assert a == b, (batch, json.dumps([a, b], indent=1)[:3000])
