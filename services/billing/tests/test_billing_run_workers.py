"""Runs and their workers in namespaces of their own (no other worker consumes the queue): a
worker process killed mid-run, a cancelled run, a run stopped on its first error."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text

from federa.billing.domain.numbering import is_gapless
from federa.billing.main import DEFINITION
from federa.billing.runs.worker import running_worker
from federa.shared.settings import Settings
from federa.shared.testing.harness import eventually, running_service
from federa.shared.testing.plugin import SettingsFactory

from .conftest import Billing
from .run_helpers import add_unpriceable, all_documents, finished, populate, start_run


@asynccontextmanager
async def billing_alone(settings: Settings, tenant: str) -> AsyncIterator[Billing]:
    async with running_service(DEFINITION, settings) as service:
        yield Billing(service, tenant)


def worker_environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "FEDERA_NAMESPACE": settings.namespace,
        "FEDERA_PG_URL": settings.pg_url,
        "FEDERA_AMQP_URL": settings.amqp_url,
        "FEDERA_DELIVERY_LIMIT": str(settings.delivery_limit),
        "FEDERA_RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
        "FEDERA_RELAY_POLL_SECONDS": str(settings.relay_poll_seconds),
        "FEDERA_LOG_JSON": "false",
        "FEDERA_DB_POOL_SIZE": str(settings.db_pool_size),
        "FEDERA_LOG_LEVEL": "WARNING",
    }


async def worker_process(settings: Settings) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "federa.billing.worker",
        env=worker_environment(settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def charges_per_subscription(api: Billing) -> dict[str, int]:
    async with api.service.runtime.db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT s.id::text AS id, count(l.id) AS charges FROM subscriptions s "
                "LEFT JOIN billing_log l ON l.subscription_id = s.id AND l.entry_kind = 'charge' "
                "WHERE s.tenant = :t GROUP BY s.id"
            ),
            {"t": api.tenant},
        )
        return {r.id: int(r.charges) for r in rows}


async def test_a_worker_killed_mid_run_leaves_the_rest_to_the_next_one_and_charges_once(
    fresh_namespace: SettingsFactory, tenant: str
) -> None:
    settings = fresh_namespace("billing")
    async with billing_alone(settings, tenant) as api:
        population = await populate(api, 90)
        first = await worker_process(settings)
        try:
            run = await start_run(api, chunk_size=3)

            async def some_done() -> dict[str, Any] | None:
                state: dict[str, Any] = await api.call("GET", f"/v1/billing-runs/{run['id']}")
                return state if state["chunks_done"] >= 1 else None

            await eventually(some_done, timeout=60, interval=0.02)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = await api.call("GET", f"/v1/billing-runs/{run['id']}")
        assert at_kill["status"] == "running"
        assert at_kill["chunks_queued"] > 0

        second = await worker_process(settings)
        try:
            done = await finished(api, run["id"], timeout=120)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()

        assert done["status"] == "completed"
        assert done["totals"]["charged"] == len(population.subscriptions)
        charges = await charges_per_subscription(api)
        assert set(charges.values()) == {1}
        assert set(charges) == set(population.subscriptions)
        docs = await all_documents(api)
        assert len(docs) == len(population.members)
        assert sum(d["total_amount"] for d in docs) == population.total
        assert is_gapless([int(d["document_no"]) for d in docs])
        assert {c["status"] for c in done["chunks"]} == {"done"}
        assert len({c["processed_by"] for c in done["chunks"]}) == 2


async def test_a_cancelled_run_skips_its_chunks(
    fresh_namespace: SettingsFactory, tenant: str
) -> None:
    settings = fresh_namespace("billing")
    async with billing_alone(settings, tenant) as api:
        await populate(api, 3)
        run = await start_run(api, chunk_size=1)
        cancelled = await api.call("POST", f"/v1/billing-runs/{run['id']}/cancel")
        assert cancelled["status"] == "cancelled"
        assert {c["status"] for c in cancelled["chunks"]} == {"skipped"}
        ended = await api.call("POST", f"/v1/billing-runs/{run['id']}/cancel")
        assert ended["status"] == "cancelled"

        # The queued messages reach a worker later and find nothing to do.
        async with running_worker(settings) as worker:
            await eventually(lambda: worker.processed >= cancelled["chunks_total"], timeout=30)
        assert await api.count("billing_log", "tenant = :t", t=tenant) == 0
        assert await api.count("documents", "tenant = :t", t=tenant) == 0
        [completed] = await api.outbox("federa.billing.run.completed.v1", run["id"])
        assert completed["data"]["outcome"] == "cancelled"


async def test_stop_on_error_fails_the_run_at_the_first_error_and_skips_the_rest(
    fresh_namespace: SettingsFactory, tenant: str
) -> None:
    """Two members' subscriptions cannot be priced; one chunk per member, processed one after
    another: the first failure stops the run, so the other failing member's chunk (and every
    chunk after the failure) is skipped and only one error is logged."""
    settings = fresh_namespace("billing")
    async with billing_alone(settings, tenant) as api:
        population = await populate(api, 8, both_every=10)
        await add_unpriceable(api, population)
        await add_unpriceable(api, population, member=population.members[1], define=False)
        async with running_worker(settings, prefetch=1):
            run = await finished(
                api, (await start_run(api, chunk_size=1, stop_on_error=True))["id"]
            )

        assert run["status"] == "failed"
        assert "missing-product-periods" in run["failure"]
        [failing] = [c for c in run["chunks"] if c["failed"]]
        done = [c for c in run["chunks"] if c["status"] == "done"]
        skipped = [c for c in run["chunks"] if c["status"] == "skipped"]
        assert len(done) + len(skipped) == len(run["chunks"])
        assert len(skipped) >= 1
        assert all(c["processed_at"] <= failing["processed_at"] for c in done)
        errors = await api.call("GET", f"/v1/billing-runs/{run['id']}/errors")
        assert errors["total"] == 1
        charged = await api.count("billing_log", "tenant = :t AND entry_kind = 'charge'", t=tenant)
        assert charged == run["totals"]["charged"] == sum(c["charged"] for c in done)
        [completed] = await api.outbox("federa.billing.run.completed.v1", run["id"])
        assert completed["data"]["outcome"] == "failed"
