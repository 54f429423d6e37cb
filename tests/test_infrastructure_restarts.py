"""The broker or the database restarts under a running platform: nothing committed is lost,
nothing is applied twice.

These restart the machine's own RabbitMQ and PostgreSQL (as CI runs them), so they need
`rabbitmqctl` and `pg_ctlcluster` on the PATH and fail loudly without them.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from federa.members.main import DEFINITION as MEMBERS
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import new_event
from federa.shared.testing.harness import RunningService, eventually
from federa.shared.testing.plugin import SettingsFactory
from federa.statistics.main import DEFINITION as STATISTICS
from tests.conftest import Platform, start_platform
from tests.test_delivery_guarantees import member_count, publish_raw, register


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _postgres_cluster() -> tuple[str, str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    return version, "main"


@pytest.fixture
async def pair(fresh_namespace: SettingsFactory) -> AsyncIterator[Platform]:
    # A generous retry budget: the consumer must outlast a database restart.
    async with AsyncExitStack() as stack:
        yield await start_platform(
            stack,
            fresh_namespace,
            (MEMBERS, STATISTICS),
            statistics={"delivery_limit": 10, "retry_base_seconds": 0.25},
        )


async def _count_is(statistics: RunningService, tenant: str, expected: int) -> bool:
    return await member_count(statistics, tenant) == expected


async def _register_when_possible(members: RunningService, tenant: str, name: str) -> None:
    async def attempt() -> bool:
        response = await members.client.post(
            "/v1/members", json={"name": name}, headers=members.auth(tenant=tenant)
        )
        return response.status_code == 201

    await eventually(attempt, timeout=30, interval=0.5)


async def test_events_committed_while_the_broker_is_down_arrive_after_it_returns(
    pair: Platform, tenant: str
) -> None:
    members, statistics = pair["members"], pair["statistics"]
    await register(members, tenant, "Before Restart")
    assert await eventually(lambda: member_count(statistics, tenant)) == 1

    await asyncio.to_thread(_run, "rabbitmqctl", "stop_app")
    try:
        # The request commits; its event waits in the outbox while the broker is away.
        await register(members, tenant, "During Outage")
    finally:
        await asyncio.to_thread(_run, "rabbitmqctl", "start_app")
        await asyncio.to_thread(_run, "rabbitmqctl", "await_startup")
    await register(members, tenant, "After Restart")

    assert await eventually(lambda: _count_is(statistics, tenant, 3), timeout=60) is True


async def test_a_database_restart_loses_no_event_and_applies_none_twice(
    pair: Platform, tenant: str
) -> None:
    members, statistics = pair["members"], pair["statistics"]
    await register(members, tenant, "Before Restart")
    assert await eventually(lambda: member_count(statistics, tenant)) == 1

    member_id = uuid.uuid4()
    arriving = new_event(
        MEMBER_REGISTERED,
        MemberRegisteredV1(
            member_id=member_id,
            member_number=99,
            name="During Outage",
            status="active",
            enrolment_date=date(2026, 1, 1),
            registered_at=datetime.now(UTC),
            registered_by="t",
        ),
        subject=str(member_id),
        tenant=tenant,
        aggregate_version=1,
    )
    version, cluster = _postgres_cluster()
    ctl = ("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster)
    await asyncio.to_thread(_run, *ctl, "stop", "--", "-m", "fast")
    try:
        # Statistics cannot store this now; it holds and retries it until the database is back.
        await publish_raw(statistics, arriving.to_json(), arriving.routing_key, arriving.id)
        await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(_run, *ctl, "start")
    await _register_when_possible(members, tenant, "After Restart")

    assert await eventually(lambda: _count_is(statistics, tenant, 3), timeout=60) is True
    await asyncio.sleep(1)
    assert await member_count(statistics, tenant) == 3
