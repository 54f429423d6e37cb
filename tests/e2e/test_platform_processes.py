"""End to end: the five services as separate processes, driven over HTTP."""

from __future__ import annotations

import asyncio
import time

import httpx

from federa.shared.testing.harness import eventually
from tests.e2e.conftest import Processes


async def _overview(client: httpx.AsyncClient, processes: Processes, tenant: str) -> int:
    response = await client.get(
        f"{processes['statistics'].url}/v1/overview", headers=processes.auth(tenant)
    )
    assert response.status_code == 200, response.text
    return int(response.json()["members"])


async def test_a_member_posted_to_members_shows_up_in_statistics(
    processes: Processes, tenant: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        posted = time.monotonic()
        response = await client.post(
            f"{processes['members'].url}/v1/members",
            json={"name": "Anna Berg", "postcode": "2100"},
            headers=processes.auth(tenant),
        )
        assert response.status_code == 201, response.text
        assert await eventually(lambda: _overview(client, processes, tenant)) == 1
        print(f"member visible in statistics after {1000 * (time.monotonic() - posted):.0f} ms")

        for name in ("billing", "payments", "communications", "statistics", "members"):
            metrics = (await client.get(f"{processes[name].url}/metrics")).text
            assert "federa_outbox_pending" in metrics


async def test_a_consumer_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
    processes: Processes, tenant: str
) -> None:
    members, statistics = processes["members"], processes["statistics"]
    total = 300
    async with httpx.AsyncClient(timeout=30) as client:

        async def register(i: int) -> None:
            response = await client.post(
                f"{members.url}/v1/members",
                json={"name": f"Member {i}"},
                headers=processes.auth(tenant),
            )
            assert response.status_code == 201

        async def register_all() -> None:
            for start in range(0, total, 10):
                await asyncio.gather(*(register(i) for i in range(start, start + 10)))

        registering = asyncio.create_task(register_all())
        counted_at_kill = await eventually(
            lambda: _at_least(client, processes, tenant, 20), timeout=30
        )
        statistics.kill()  # SIGKILL: no graceful shutdown; unacknowledged messages return
        await registering
        statistics.start()
        statistics.wait_ready()

        assert 0 < counted_at_kill < total, "the kill came while events were still flowing"
        assert (
            await eventually(lambda: _count_is(client, processes, tenant, total), timeout=30)
            is True
        )
        await asyncio.sleep(1)  # anything still in flight would show up as an extra count
        assert await _overview(client, processes, tenant) == total


async def _at_least(client: httpx.AsyncClient, processes: Processes, tenant: str, n: int) -> int:
    count = await _overview(client, processes, tenant)
    return count if count >= n else 0


async def _count_is(client: httpx.AsyncClient, processes: Processes, tenant: str, n: int) -> bool:
    return await _overview(client, processes, tenant) == n
