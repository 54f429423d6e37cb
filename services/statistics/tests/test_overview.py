"""GET /v1/overview counts the members the events have told of, per tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from federa.shared.auth import Role
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import new_event
from federa.shared.testing.harness import RunningService, running_service
from federa.shared.testing.plugin import SettingsFactory
from federa.statistics.main import DEFINITION


@pytest.fixture(scope="session")
async def statistics(settings_for: SettingsFactory) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, settings_for("statistics")) as service:
        yield service


def _registered(tenant: str, version: int = 1, status: str = "active") -> bytes:
    member_id = uuid.uuid4()
    data = MemberRegisteredV1(
        member_id=member_id,
        member_number=1,
        name="N",
        status=status,
        enrolment_date=date(2026, 1, 1),
        registered_at=datetime.now(UTC),
        registered_by="t",
    )
    return new_event(
        MEMBER_REGISTERED, data, subject=str(member_id), tenant=tenant, aggregate_version=version
    ).to_json()


async def _members(statistics: RunningService, tenant: str) -> int:
    response = await statistics.client.get(
        "/v1/overview", headers=statistics.auth(Role.READ, tenant=tenant)
    )
    assert response.status_code == 200
    return int(response.json()["members"])


async def test_the_overview_counts_each_registered_member_once(
    statistics: RunningService, tenant: str
) -> None:
    first, second = _registered(tenant), _registered(tenant)
    consumer = statistics.runtime.consumer
    assert await consumer.handle(first) == "applied"
    assert await consumer.handle(second) == "applied"
    assert await consumer.handle(first) == "duplicate"
    assert await _members(statistics, tenant) == 2
    assert await _members(statistics, f"{tenant}-x") == 0


async def test_the_overview_needs_a_token(statistics: RunningService) -> None:
    assert (await statistics.client.get("/v1/overview")).status_code == 401
