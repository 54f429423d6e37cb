"""A member registered on members reaches billing, payments, communications and statistics."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy import text

from federa.shared.testing.harness import eventually
from tests.conftest import Platform


async def _count(platform: Platform, service: str, tenant: str) -> int:
    async with platform[service].runtime.db.sessions() as session:
        result = await session.execute(
            text("SELECT count(*) FROM members WHERE tenant = :t"), {"t": tenant}
        )
        return int(result.scalar_one())


async def _overview(platform: Platform, tenant: str) -> int:
    statistics = platform["statistics"]
    response = await statistics.client.get("/v1/overview", headers=statistics.auth(tenant=tenant))
    assert response.status_code == 200, response.text
    return int(response.json()["members"])


async def test_a_registered_member_reaches_all_four_consumers(
    platform: Platform, tenant: str
) -> None:
    members = platform["members"]
    response = await members.client.post(
        "/v1/members",
        json={"name": "Anna Berg", "email": "anna@example.org", "postcode": "2100"},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201, response.text
    member = response.json()
    assert member["member_number"] == 1

    for service in ("billing", "payments", "communications", "statistics"):
        assert await eventually(partial(_count, platform, service, tenant)) == 1
    assert await eventually(lambda: _overview(platform, tenant)) == 1

    async with platform["billing"].runtime.db.sessions() as session:
        copy = (
            await session.execute(
                text("SELECT name, version FROM members WHERE member_id = :id"),
                {"id": uuid.UUID(member["id"])},
            )
        ).one()
    assert tuple(copy) == ("Anna Berg", 1)


async def test_members_of_one_tenant_are_not_counted_for_another(
    platform: Platform, tenant: str
) -> None:
    members = platform["members"]
    for name in ("Bo Ek", "Cai Lund"):
        response = await members.client.post(
            "/v1/members", json={"name": name}, headers=members.auth(tenant=tenant)
        )
        assert response.status_code == 201
    await eventually(lambda: _count_is(platform, tenant, 2))
    assert await _overview(platform, f"{tenant}-other") == 0


async def _count_is(platform: Platform, tenant: str, expected: int) -> bool:
    return await _overview(platform, tenant) == expected
