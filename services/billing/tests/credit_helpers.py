"""Helpers of the credit, order, settlement and PDF tests: a billing worker, and billed
populations made by real billing runs (the colleague's `run_helpers`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from federa.billing.runs.worker import RunWorker, running_worker
from federa.shared.testing.harness import RunningService
from federa.shared.testing.plugin import SettingsFactory

from .conftest import Billing
from .run_helpers import Population, all_documents, finished, populate, start_run


@pytest.fixture(scope="session")
async def credit_worker(
    billing: RunningService, settings_for: SettingsFactory
) -> AsyncIterator[RunWorker]:
    del billing
    async with running_worker(settings_for("billing")) as running:
        yield running


@pytest.fixture
def runs(api: Billing, credit_worker: RunWorker) -> Billing:
    del credit_worker
    return api


async def billed(
    runs: Billing, members: int = 1, *, mode: str = "invoice", **run: Any
) -> tuple[Population, list[dict[str, Any]]]:
    """`members` members billed by one real run (ANNUAL, and MEDLEM for the first), one
    document per payer and member; the run's documents with their lines."""
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": mode})
    population = await populate(runs, members)
    done = await finished(runs, (await start_run(runs, **run))["id"])
    assert done["status"] == "completed"
    docs = await all_documents(runs, billing_run_id=done["id"])
    return population, [await runs.call("GET", f"/v1/documents/{d['id']}") for d in docs]


async def subscription_of(
    runs: Billing, population: Population, product: str, member_index: int = 0
) -> str:
    page = await runs.call(
        "GET",
        "/v1/subscriptions",
        params={"member_id": str(population.members[member_index]), "product": product},
    )
    items = page["items"] if isinstance(page, dict) else page
    [found] = items
    return str(found["id"])


async def subscription(runs: Billing, subscription_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await runs.call("GET", f"/v1/subscriptions/{subscription_id}")
    return found


def document_with(docs: list[dict[str, Any]], subscription_id: str) -> dict[str, Any]:
    return next(
        d for d in docs if any(line["subscription_id"] == subscription_id for line in d["lines"])
    )
