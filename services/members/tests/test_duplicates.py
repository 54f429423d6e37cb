"""The duplicate check on registration (SPEC §2.1 rule 1): name — phonetically, with the
tenant's equivalences — plus street, house number and postcode."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from federa.shared.testing.harness import RunningService

VESTERGADE = {"street_name": "Vestergade", "street_no": "12", "postcode": "8000"}


async def _register(members: RunningService, tenant: str, **body: Any) -> Any:
    return await members.client.post("/v1/members", json=body, headers=members.auth(tenant=tenant))


async def _registered(members: RunningService, tenant: str, **body: Any) -> Any:
    response = await _register(members, tenant, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def _equivalences(members: RunningService, tenant: str, *pairs: tuple[str, str]) -> None:
    response = await members.client.put(
        "/v1/phonetic-equivalences",
        json=[{"fragment": a, "phonetic": b} for a, b in pairs],
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 200, response.text


async def _count(members: RunningService, sql: str, **params: Any) -> int:
    async with members.runtime.db.sessions() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


@pytest.mark.parametrize(
    "pair", [("k", "ch"), ("kristian", "christian"), ("Christian", "Kristian")]
)
async def test_kristian_at_christians_address_is_a_probable_duplicate(
    members: RunningService, tenant: str, pair: tuple[str, str]
) -> None:
    await _equivalences(members, tenant, pair)
    christian = await _registered(members, tenant, name="Christian Holm", **VESTERGADE)
    members_before = await _count(members, "SELECT count(*) FROM members")
    outbox_before = await _count(members, "SELECT count(*) FROM outbox")

    response = await _register(members, tenant, name="Kristian Holm", **VESTERGADE)

    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/probable-duplicate")
    assert problem["candidates"] == [
        {
            "id": christian["id"],
            "member_number": christian["member_number"],
            "name": "Christian Holm",
            "address": "Vestergade 12",
            "postcode": "8000",
        }
    ]
    assert await _count(members, "SELECT count(*) FROM members") == members_before
    assert await _count(members, "SELECT count(*) FROM outbox") == outbox_before


async def test_the_equivalence_works_whichever_spelling_came_first(
    members: RunningService, tenant: str
) -> None:
    await _registered(members, tenant, name="Kristian Holm", **VESTERGADE)
    await _equivalences(members, tenant, ("ch", "k"))
    response = await _register(members, tenant, name="Christian Holm", **VESTERGADE)
    assert response.status_code == 409
    assert [c["name"] for c in response.json()["candidates"]] == ["Kristian Holm"]


async def test_without_the_equivalence_kristian_and_christian_are_different_people(
    members: RunningService, tenant: str
) -> None:
    await _registered(members, tenant, name="Christian Holm", **VESTERGADE)
    response = await _register(members, tenant, name="Kristian Holm", **VESTERGADE)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"street_no": "14"},
        {"street_letter": "A"},
        {"street_name": "Østergade"},
        {"postcode": "8200"},
        {"postcode": None},
    ],
)
async def test_another_house_is_not_a_duplicate(
    members: RunningService, tenant: str, elsewhere: dict[str, Any]
) -> None:
    await _equivalences(members, tenant, ("k", "ch"))
    await _registered(members, tenant, name="Christian Holm", **VESTERGADE)
    response = await _register(members, tenant, name="Kristian Holm", **{**VESTERGADE, **elsewhere})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        # A typed one-line address and the same address in parts; floors do not count.
        (
            {"address": "vestergade 12 b, 2. th."},
            {"street_name": "Vestergade", "street_no": "12", "street_letter": "B", "floor": "1"},
        ),
        ({"street_name": "Vester Gade", "street_no": "12"}, {"address": "VESTERGADE 12"}),
        ({"street_name": "Vestergade", "street_no": " 12 "}, {"address": "Vestergade 12, st."}),
    ],
)
async def test_one_address_written_two_ways_is_the_same_house(
    members: RunningService, tenant: str, existing: dict[str, Any], new: dict[str, Any]
) -> None:
    await _registered(members, tenant, name="Ida Lund", postcode="8000", **existing)
    response = await _register(members, tenant, name="Ida Lund", postcode="8000", **new)
    assert response.status_code == 409, response.text


async def test_doubled_letters_do_not_tell_two_people_apart(
    members: RunningService, tenant: str
) -> None:
    await _registered(members, tenant, name="Ole Hansen", **VESTERGADE)
    response = await _register(members, tenant, name="Olle Hanssen", **VESTERGADE)
    assert response.status_code == 409


async def test_confirming_registers_the_probable_duplicate(
    members: RunningService, tenant: str
) -> None:
    await _equivalences(members, tenant, ("k", "ch"))
    await _registered(members, tenant, name="Christian Holm", **VESTERGADE)
    second = await _registered(
        members, tenant, name="Kristian Holm", confirm_duplicate=True, **VESTERGADE
    )
    assert second["member_number"] == 2
    # Both are candidates for the next one.
    response = await _register(members, tenant, name="Chrizztian Holm", **VESTERGADE)
    assert response.status_code == 201  # "zz" is no equivalence of "s"
    third = await _register(members, tenant, name="christian holm", **VESTERGADE)
    assert [c["member_number"] for c in third.json()["candidates"]] == [1, 2]


async def test_the_check_is_off_when_the_tenant_turns_it_off(
    members: RunningService, tenant: str
) -> None:
    await _equivalences(members, tenant, ("k", "ch"))
    await _registered(members, tenant, name="Christian Holm", **VESTERGADE)
    async with members.runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE tenant_settings SET duplicate_check = false WHERE tenant = :t"),
            {"t": tenant},
        )
    response = await _register(members, tenant, name="Kristian Holm", **VESTERGADE)
    assert response.status_code == 201, response.text


async def test_erased_members_and_other_tenants_are_no_candidates(
    members: RunningService, tenant: str
) -> None:
    erased = await _registered(members, tenant, name="Christian Holm", **VESTERGADE)
    async with members.runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE members SET erased_at = now() WHERE id = :m"), {"m": erased["id"]}
        )
    await _registered(members, f"{tenant}-other", name="Christian Holm", **VESTERGADE)
    response = await _register(members, tenant, name="Christian Holm", **VESTERGADE)
    assert response.status_code == 201, response.text
