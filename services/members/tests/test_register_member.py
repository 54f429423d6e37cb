"""POST /v1/members: numbering, validation, authorisation, the outbox row."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from federa.shared.auth import Role
from federa.shared.contracts.members import MEMBER_REGISTERED
from federa.shared.testing.harness import RunningService


async def _scalar(members: RunningService, sql: str, **params: object) -> int:
    async with members.runtime.db.sessions() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


async def test_members_are_numbered_per_tenant_from_one(
    members: RunningService, tenant: str
) -> None:
    numbers = []
    for name in ("Anna", "Bo", "Cai"):
        response = await members.client.post(
            "/v1/members", json={"name": name}, headers=members.auth(tenant=tenant)
        )
        assert response.status_code == 201, response.text
        numbers.append(response.json()["member_number"])
    assert numbers == [1, 2, 3]
    other = await members.client.post(
        "/v1/members", json={"name": "Dan"}, headers=members.auth(tenant=f"{tenant}-b")
    )
    assert other.json()["member_number"] == 1


async def test_concurrent_registrations_get_distinct_gapless_numbers(
    members: RunningService, tenant: str
) -> None:
    responses = await asyncio.gather(
        *(
            members.client.post(
                "/v1/members", json={"name": f"Member {i}"}, headers=members.auth(tenant=tenant)
            )
            for i in range(20)
        )
    )
    assert sorted(r.json()["member_number"] for r in responses) == list(range(1, 21))


async def test_registration_records_one_member_registered_event_in_the_outbox(
    members: RunningService, tenant: str
) -> None:
    response = await members.client.post(
        "/v1/members",
        json={"name": "Ida Lund", "email": "ida@example.org", "country_code": "SE"},
        headers=members.auth(tenant=tenant),
    )
    member = response.json()
    async with members.runtime.db.sessions() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT event_type, routing_key, payload FROM outbox "
                    "WHERE payload->>'subject' = :id"
                ),
                {"id": member["id"]},
            )
        ).all()
    [(event_type, routing_key, payload)] = rows
    assert event_type == MEMBER_REGISTERED.type
    assert routing_key == "members.member.registered"
    assert payload["tenant"] == tenant
    assert payload["data"]["email"] == "ida@example.org"
    assert payload["data"]["country_code"] == "SE"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Eva", "email": "not-an-address"}, "email"),
        ({"name": "Eva", "postcode": "!!"}, "postcode"),
        ({"name": "Eva", "birth_date": "2990-01-01"}, "birth_date"),
        ({"name": "Eva", "birth_date": "2020-13-01"}, "birth_date"),
        ({"name": "Eva", "country_code": "dk"}, "country_code"),
        ({"name": "Eva", "organisation_id": "branch-7"}, "organisation_id"),
        ({"name": "Eva", "party_kind": "robot"}, "party_kind"),
        ({"name": "Eva", "shoe_size": 44}, "shoe_size"),
    ],
)
async def test_bad_input_is_a_422_problem_naming_the_field_and_changes_nothing(
    members: RunningService, tenant: str, body: dict[str, object], field: str
) -> None:
    outbox_before = await _scalar(members, "SELECT count(*) FROM outbox")
    response = await members.client.post(
        "/v1/members", json=body, headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert field in [e["field"] for e in problem["errors"]]
    assert await _scalar(members, "SELECT count(*) FROM members WHERE tenant = :t", t=tenant) == 0
    assert await _scalar(members, "SELECT count(*) FROM outbox") == outbox_before


async def test_a_malformed_json_body_is_a_422_problem(members: RunningService) -> None:
    response = await members.client.post(
        "/v1/members",
        content=b"{name: ",
        headers={**members.auth(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_without_a_token_the_answer_is_401(members: RunningService) -> None:
    response = await members.client.post("/v1/members", json={"name": "Eva"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"].endswith("/unauthenticated")


async def test_a_forged_token_is_refused(members: RunningService) -> None:
    token = members.token() + "x"
    response = await members.client.get("/v1/members", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/invalid-token")


async def test_a_reader_may_search_but_not_register(members: RunningService, tenant: str) -> None:
    reader = members.auth(Role.READ, tenant=tenant)
    assert (await members.client.get("/v1/members", headers=reader)).status_code == 200
    response = await members.client.post("/v1/members", json={"name": "Eva"}, headers=reader)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")


async def test_a_member_card_user_may_register(members: RunningService, tenant: str) -> None:
    response = await members.client.post(
        "/v1/members", json={"name": "Eva"}, headers=members.auth(Role.MEMBER_CARD, tenant=tenant)
    )
    assert response.status_code == 201


async def test_a_member_is_read_back_only_within_its_tenant(
    members: RunningService, tenant: str
) -> None:
    created = await members.client.post(
        "/v1/members", json={"name": "Jon Vik"}, headers=members.auth(tenant=tenant)
    )
    member_id = created.json()["id"]
    found = await members.client.get(
        f"/v1/members/{member_id}", headers=members.auth(tenant=tenant)
    )
    assert found.json()["name"] == "Jon Vik"
    hidden = await members.client.get(
        f"/v1/members/{member_id}", headers=members.auth(tenant=f"{tenant}-other")
    )
    assert hidden.status_code == 404
    assert hidden.json()["type"].endswith("/member-not-found")


async def test_the_member_list_is_paginated_in_number_order(
    members: RunningService, tenant: str
) -> None:
    for i in range(5):
        await members.client.post(
            "/v1/members", json={"name": f"M{i}"}, headers=members.auth(tenant=tenant)
        )
    page = await members.client.get(
        "/v1/members", params={"limit": 2, "offset": 2}, headers=members.auth(tenant=tenant)
    )
    body = page.json()
    assert body["total"] == 5
    assert [m["member_number"] for m in body["items"]] == [3, 4]
    too_big = await members.client.get(
        "/v1/members", params={"limit": 10_000}, headers=members.auth(tenant=tenant)
    )
    assert too_big.status_code == 422
