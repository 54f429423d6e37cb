"""Branch settlements (rule 34, flow F12) over invoices of a real billing run: per branch the
sum of the branch shares, less credited lines; the same period twice pays nothing twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

from federa.shared.contracts.billing import SETTLEMENT_CALCULATED

from .conftest import Billing, Tree
from .credit_helpers import credit_worker, runs, subscription_of
from .run_helpers import all_documents, finished, populate, start_run

__all__ = ["credit_worker", "runs"]

SHARE_A, SHARE_C = 10000, 4000


async def branches_billed(
    runs: Billing, members: int = 5
) -> tuple[Tree, Any, list[dict[str, Any]]]:
    """`members` members alternately of branch a and c, each with ANNUAL (shares 100.00 for a,
    40.00 for c) and every third with MEDLEM (no shares), billed by one run."""
    tree = Tree(runs)
    for name in ("federation", "north", "south", "a", "c"):
        await tree.publish(name)
    population = await populate(runs, members, branches=(tree.ids["a"], tree.ids["c"]))
    await runs.call(
        "PUT",
        "/v1/products/ANNUAL/branch-shares",
        [
            {"organisation_id": str(tree.ids["a"]), "amount": SHARE_A},
            {"organisation_id": str(tree.ids["c"]), "amount": SHARE_C},
        ],
    )
    run = await finished(runs, (await start_run(runs))["id"])
    docs = await all_documents(runs, billing_run_id=run["id"])
    return tree, population, [await runs.call("GET", f"/v1/documents/{d['id']}") for d in docs]


def shares_by_branch(docs: list[dict[str, Any]]) -> Counter[str]:
    found: Counter[str] = Counter()
    for doc in docs:
        for line in doc["lines"]:
            if line["branch_share"]:
                found[line["branch_organisation_id"]] += line["branch_share"]
    return found


async def test_settlements_add_up_to_the_branch_shares_of_the_period(runs: Billing) -> None:
    tree, _, docs = await branches_billed(runs)
    expected = shares_by_branch(docs)
    assert expected == {str(tree.ids["a"]): 3 * SHARE_A, str(tree.ids["c"]): 2 * SHARE_C}

    batch = await runs.call(
        "POST",
        "/v1/settlements",
        {"period_from": "2025-06-01", "period_to": "2025-06-30"},
        expect=201,
    )

    assert {s["organisation_id"]: s["amount"] for s in batch["settlements"]} == expected
    assert batch["total"] == sum(expected.values())
    by_org = {s["organisation_id"]: s for s in batch["settlements"]}
    assert by_org[str(tree.ids["a"])]["organisation_name"] == "a"
    events = await runs.outbox(SETTLEMENT_CALCULATED.type)
    assert {e["data"]["organisation_id"]: e["data"]["amount"] for e in events} == expected
    one = await runs.call("GET", f"/v1/settlements/{by_org[str(tree.ids['c'])]['id']}")
    assert sum(line["amount"] for line in one["settled_lines"]) == 2 * SHARE_C
    assert one["lines"] == 2

    # The same period again: the first calculation, no new event.
    again = await runs.call(
        "POST", "/v1/settlements", {"period_from": "2025-06-01", "period_to": "2025-06-30"}
    )
    assert again["id"] == batch["id"]
    assert len(await runs.outbox(SETTLEMENT_CALCULATED.type)) == len(events)
    # An overlapping period finds every line settled already: nobody is paid twice.
    wider = await runs.call(
        "POST",
        "/v1/settlements",
        {"period_from": "2025-01-01", "period_to": "2025-12-31"},
        expect=201,
    )
    assert wider["settlements"] == []
    page = await runs.call("GET", "/v1/settlements", params={"limit": 1})
    assert (page["total"], len(page["items"])) == (2, 1)


async def test_a_credited_invoice_takes_its_shares_back(runs: Billing) -> None:
    tree, population, docs = await branches_billed(runs, members=2)
    annual = await subscription_of(runs, population, "ANNUAL", member_index=0)
    await runs.call(
        "POST",
        f"/v1/subscriptions/{annual}/credit-latest",
        {"posting_date": "2025-06-20"},
        expect=201,
    )
    batch = await runs.call(
        "POST",
        "/v1/settlements",
        {"period_from": "2025-06-01", "period_to": "2025-06-30"},
        expect=201,
    )
    # Member 0 (branch a) was credited whole; member 1 (branch c) stands.
    assert {s["organisation_id"]: s["amount"] for s in batch["settlements"]} == {
        str(tree.ids["a"]): 0,
        str(tree.ids["c"]): SHARE_C,
    }
    assert shares_by_branch(docs)[str(tree.ids["a"])] == SHARE_A


async def test_a_period_ending_before_it_starts_is_refused_and_changes_nothing(
    runs: Billing,
) -> None:
    problem = await runs.call(
        "POST",
        "/v1/settlements",
        {"period_from": "2025-06-30", "period_to": "2025-06-01"},
        expect=422,
    )
    assert problem["type"].endswith("/impossible-dates")
    assert (await runs.call("GET", "/v1/settlements"))["total"] == 0
    assert await runs.count("settlement_batches", "tenant = :t", t=runs.tenant) == 0
    unknown = await runs.call(
        "GET", "/v1/settlements/00000000-0000-4000-8000-000000000000", expect=404
    )
    assert unknown["type"].endswith("/settlement-not-found")
