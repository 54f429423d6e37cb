"""Billing runs over the work queue with real workers, the real database and broker: what a run
charges, that it charges once, and how it reports."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from federa.billing.runs.worker import RunWorker, running_worker
from federa.shared.auth import Role
from federa.shared.contracts.members import ORGANISATION_CREATED, OrganisationStateV1
from federa.shared.envelope import new_event
from federa.shared.payment_reference import is_valid_reference
from federa.shared.testing.harness import RunningService
from federa.shared.testing.plugin import SettingsFactory

from .conftest import Billing
from .run_helpers import (
    ANNUAL_PRICE,
    MEDLEM_FIRST_CHARGE,
    all_documents,
    finished,
    lines_by_subscription,
    populate,
    start_run,
)


@pytest.fixture(scope="session")
async def worker(
    billing: RunningService, settings_for: SettingsFactory
) -> AsyncIterator[RunWorker]:
    del billing  # the service migrates the database first
    async with running_worker(settings_for("billing")) as running:
        yield running


@pytest.fixture
def runs(api: Billing, worker: RunWorker) -> Billing:
    del worker
    return api


async def test_a_run_charges_each_due_subscription_one_period_at_its_hand_computed_price(
    runs: Billing,
) -> None:
    """120 members with an ANNUAL subscription from 2025-01-01 (450.00 a year), every third
    also with a MEDLEM from 2025-06-01 (first charge 131.92, hand computed in test_quote.py);
    one document per payer and member (the default grouping), chunks of 25."""
    population = await populate(runs, 120)
    run = await start_run(runs, chunk_size=25)
    assert run["status"] in ("planned", "running", "completed")
    done = await finished(runs, run["id"])

    assert done["status"] == "completed"
    assert done["subscriptions_selected"] == len(population.subscriptions) == 160
    assert done["totals"]["charged"] == 160
    assert done["totals"]["failed"] == 0
    assert done["totals"]["documents"] == 120
    assert done["totals"]["amount"] == 120 * ANNUAL_PRICE + 40 * MEDLEM_FIRST_CHARGE
    assert {c["status"] for c in done["chunks"]} == {"done"}

    docs = await all_documents(runs, billing_run_id=run["id"])
    assert len(docs) == 120
    assert {d["kind"] for d in docs} == {"invoice"}
    assert all(is_valid_reference(d["payment_reference"]) for d in docs)
    assert all(d["due_date"] == "2025-06-29" for d in docs)  # 14 days' terms, the default
    by_subscription = await lines_by_subscription(runs, docs)
    assert set(by_subscription) == set(population.subscriptions)
    for subscription_id, expected in population.subscriptions.items():
        [(doc, line)] = by_subscription[subscription_id]
        assert line["amount"] == expected
        assert doc["member_id"] == str(population.member_of[subscription_id])
    assert sum(d["total_amount"] for d in docs) == population.total

    some = next(iter(population.subscriptions))
    read = await runs.call("GET", f"/v1/subscriptions/{some}")
    assert read["billed_through"] == "2025-12-31"
    issued = await runs.outbox("federa.billing.document.issued.v1")
    assert len(issued) == 120
    completed = await runs.outbox("federa.billing.run.completed.v1", run["id"])
    assert [e["data"]["outcome"] for e in completed] == ["completed"]


async def test_the_same_run_started_twice_charges_nothing_the_second_time(runs: Billing) -> None:
    population = await populate(runs, 20)
    first = await finished(runs, (await start_run(runs, chunk_size=7))["id"])
    second = await finished(runs, (await start_run(runs, chunk_size=7))["id"])

    assert first["totals"]["charged"] == len(population.subscriptions)
    assert second["subscriptions_selected"] == 0
    assert second["status"] == "completed"
    docs = await all_documents(runs)
    assert len(docs) == 20
    log = await runs.count("billing_log", "tenant = :t AND entry_kind = 'charge'", t=runs.tenant)
    assert log == len(population.subscriptions)


async def test_an_idempotency_key_returns_the_first_run(runs: Billing) -> None:
    await populate(runs, 3)
    headers = {**runs.headers(), "Idempotency-Key": "june-2025"}
    body = {"posting_date": "2025-06-15", "bill_through_date": "2025-06-30"}
    first = await runs.service.client.post("/v1/billing-runs", json=body, headers=headers)
    again = await runs.service.client.post("/v1/billing-runs", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.headers["Location"] == again.headers["Location"]
    assert first.headers["Location"] == f"/v1/billing-runs/{first.json()['id']}"
    await finished(runs, first.json()["id"])
    assert await runs.count("billing_runs", "tenant = :t", t=runs.tenant) == 1


async def test_a_dry_run_stores_nothing_and_reports_per_organisation(runs: Billing) -> None:
    north, south = await _organisations(runs, "North", "South")
    population = await populate(runs, 12, branches=(north, south))
    run = await finished(runs, (await start_run(runs, dry_run=True, chunk_size=5))["id"])

    assert run["status"] == "completed"
    assert run["dry_run"] is True
    assert await runs.count("documents", "tenant = :t", t=runs.tenant) == 0
    assert await runs.count("billing_log", "tenant = :t", t=runs.tenant) == 0
    assert (
        await runs.count(
            "subscriptions", "tenant = :t AND billed_through IS NOT NULL", t=runs.tenant
        )
        == 0
    )
    assert await runs.outbox("federa.billing.document.issued.v1") == []

    report = await runs.call("GET", f"/v1/billing-runs/{run['id']}/report")
    rows = {r["organisation_name"]: r for r in report["organisations"]}
    for name, branch in (("North", north), ("South", south)):
        mine = [s for s, o in population.organisation_of.items() if o == branch]
        expected = sum(population.subscriptions[s] for s in mine)
        assert (rows[name]["subscriptions"], rows[name]["amount"]) == (len(mine), expected)
    assert report["totals"]["amount"] == population.total

    # A real run afterwards charges exactly what the test report said.
    real = await finished(runs, (await start_run(runs))["id"])
    assert real["totals"]["amount"] == report["totals"]["amount"]


async def _organisations(runs: Billing, *names: str) -> list[uuid.UUID]:
    """Branches in billing's copy of the tree, as the members service announces them."""
    ids = []
    for number, name in enumerate(names, start=1):
        org = uuid.uuid4()
        data = OrganisationStateV1(
            organisation_id=org, organisation_number=number, name=name, organisation_type="branch"
        )
        event = new_event(
            ORGANISATION_CREATED, data, subject=str(org), tenant=runs.tenant, aggregate_version=1
        )
        assert await runs.service.runtime.consumer.handle(event.to_json()) == "applied"
        ids.append(org)
    return ids


async def test_bad_input_is_refused_and_creates_no_run(runs: Billing) -> None:
    await populate(runs, 1)
    early = await runs.call(
        "POST",
        "/v1/billing-runs",
        {"posting_date": "2025-07-01", "bill_through_date": "2025-06-30"},
        expect=422,
    )
    assert early["type"].endswith("/bill-through-before-posting-date")
    unknown = await runs.call(
        "POST",
        "/v1/billing-runs",
        {
            "posting_date": "2025-06-15",
            "bill_through_date": "2025-06-30",
            "filters": {"products": ["NOSUCH"]},
        },
        expect=404,
    )
    assert unknown["type"].endswith("/unknown-product")
    assert await runs.count("billing_runs", "tenant = :t", t=runs.tenant) == 0


async def test_filters_select_only_matching_subscriptions(runs: Billing) -> None:
    population = await populate(runs, 9)
    run = await finished(runs, (await start_run(runs, filters={"products": ["MEDLEM"]}))["id"])
    medlem = [s for s, amount in population.subscriptions.items() if amount == MEDLEM_FIRST_CHARGE]
    assert run["totals"]["charged"] == len(medlem) == 3
    assert run["totals"]["amount"] == 3 * MEDLEM_FIRST_CHARGE
    kinds = Counter(d["kind"] for d in await all_documents(runs))
    assert kinds == {"invoice": 3}


async def test_runs_are_listed_newest_first_in_pages(runs: Billing) -> None:
    await populate(runs, 2)
    first = await finished(runs, (await start_run(runs, dry_run=True))["id"])
    second = await finished(runs, (await start_run(runs, dry_run=True))["id"])
    page = await runs.call("GET", "/v1/billing-runs", params={"limit": 1})
    assert (page["total"], [r["id"] for r in page["items"]]) == (2, [second["id"]])
    rest = await runs.call("GET", "/v1/billing-runs", params={"limit": 1, "offset": 1})
    assert [r["id"] for r in rest["items"]] == [first["id"]]


async def test_starting_a_run_needs_the_operators_permission(runs: Billing) -> None:
    await populate(runs, 1)
    refused = await runs.call(
        "POST",
        "/v1/billing-runs",
        {"posting_date": "2025-06-15", "bill_through_date": "2025-06-30"},
        headers=runs.headers(Role.MEMBER_CARD),
        expect=403,
    )
    assert refused["type"].endswith("/forbidden")
    assert await runs.count("billing_runs", "tenant = :t", t=runs.tenant) == 0


async def test_a_branch_sees_only_its_own_rows_of_the_report(runs: Billing) -> None:
    north, south = await _organisations(runs, "North", "South")
    await populate(runs, 4, branches=(north, south))
    run = await finished(runs, (await start_run(runs, dry_run=True))["id"])
    report = await runs.call(
        "GET",
        f"/v1/billing-runs/{run['id']}/report",
        headers=runs.headers(Role.READ, orgs=(str(north),)),
    )
    assert [r["organisation_name"] for r in report["organisations"]] == ["North"]
