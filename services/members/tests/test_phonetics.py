"""/v1/phonetic-equivalences: the tenant's table, stored both ways, and members re-keyed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from federa.members.domain.phonetic import canonical_spellings, phonetic_key
from federa.members.phonetics import rekey_members_in_tx
from federa.shared.auth import Role
from federa.shared.testing.harness import RunningService
from services.members.tests.conftest import Tree

PATH = "/v1/phonetic-equivalences"


def _pairs(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"fragment": a, "phonetic": b} for a, b in pairs]


async def _put(members: RunningService, tenant: str, *pairs: tuple[str, str]) -> Any:
    response = await members.client.put(
        PATH, json=_pairs(*pairs), headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _register(members: RunningService, tenant: str, name: str) -> Any:
    response = await members.client.post(
        "/v1/members",
        json={"name": name, "confirm_duplicate": True},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _keys(members: RunningService, tenant: str) -> dict[str, str]:
    async with members.runtime.db.sessions() as session:
        rows = await session.execute(
            text("SELECT name, phonetic_name FROM members WHERE tenant = :t"), {"t": tenant}
        )
        return {r.name: r.phonetic_name for r in rows}


async def test_pairs_are_stored_normalised_in_both_directions(
    members: RunningService, tenant: str
) -> None:
    stored = await _put(members, tenant, ("K", "Ch"), ("Kristian", "CHRISTIAN"), ("ch", "k"))
    expected = _pairs(
        ("ch", "k"), ("christian", "kristian"), ("k", "ch"), ("kristian", "christian")
    )
    assert stored["pairs"] == expected
    read = await members.client.get(PATH, headers=members.auth(Role.READ, tenant=tenant))
    assert read.status_code == 200
    assert read.json() == expected
    # Sending back what was read changes nothing.
    again = await members.client.put(PATH, json=read.json(), headers=members.auth(tenant=tenant))
    assert again.json() == {"pairs": expected, "members_rekeyed": 0}
    other = await members.client.get(PATH, headers=members.auth(tenant=f"{tenant}-other"))
    assert other.json() == []


async def test_a_change_rekeys_the_tenants_members_and_only_theirs(
    members: RunningService, tenant: str
) -> None:
    for name in ("Kristian Holm", "Christian Holm", "Anna Berg"):
        await _register(members, tenant, name)
    await _register(members, f"{tenant}-other", "Kristian Holm")
    before = await _keys(members, tenant)
    assert before["Kristian Holm"] != before["Christian Holm"]

    change = await _put(members, tenant, ("k", "ch"))
    after = await _keys(members, tenant)
    assert after["Kristian Holm"] == after["Christian Holm"]
    assert after["Anna Berg"] == before["Anna Berg"]
    assert change["members_rekeyed"] == 1  # one of the two spellings is canonical already
    table = canonical_spellings([("k", "ch")])
    assert after == {name: phonetic_key(name, table) for name in after}
    assert await _keys(members, f"{tenant}-other") == {"Kristian Holm": "kristian holm"}

    emptied = await _put(members, tenant)
    assert emptied == {"pairs": [], "members_rekeyed": 1}
    assert await _keys(members, tenant) == before


async def test_rekeying_walks_the_members_in_batches(members: RunningService, tenant: str) -> None:
    names = [f"Kaj Karlsen {i}" for i in range(7)]
    for name in names:
        await _register(members, tenant, name)
    table = canonical_spellings([("k", "c")])
    async with members.runtime.db.transaction() as session:
        rekeyed = await rekey_members_in_tx(session, tenant, table, batch=3)
    assert rekeyed == 7
    assert await _keys(members, tenant) == {n: phonetic_key(n, table) for n in names}
    async with members.runtime.db.transaction() as session:
        assert await rekey_members_in_tx(session, tenant, table, batch=3) == 0


async def test_a_later_registration_is_keyed_with_the_new_table(
    members: RunningService, tenant: str
) -> None:
    await _put(members, tenant, ("ph", "f"))
    await _register(members, tenant, "Philip Stephensen")
    assert (await _keys(members, tenant))["Philip Stephensen"] == "filip stefensen"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"fragment": "k"}], "0.phonetic"),
        ([{"fragment": "", "phonetic": "ch"}], "0.fragment"),
        ([{"fragment": "k", "phonetic": "ch", "note": "x"}], "0.note"),
        ([{"fragment": "k", "phonetic": "ch"}, {"fragment": "--", "phonetic": "ch"}], "1.fragment"),
        ([{"fragment": "K", "phonetic": " k "}], "0.phonetic"),
        ([{"fragment": "k", "phonetic": "c" * 41}], "0.phonetic"),
        ({"fragment": "k", "phonetic": "ch"}, "body"),
    ],
)
async def test_bad_pairs_are_a_422_problem_and_change_nothing(
    members: RunningService, tenant: str, body: Any, field: str
) -> None:
    await _put(members, tenant, ("w", "v"))
    response = await members.client.put(PATH, json=body, headers=members.auth(tenant=tenant))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    read = await members.client.get(PATH, headers=members.auth(tenant=tenant))
    assert read.json() == _pairs(("v", "w"), ("w", "v"))


async def test_too_many_pairs_are_refused(members: RunningService, tenant: str) -> None:
    body = _pairs(*((f"a{i}", f"b{i}") for i in range(2001)))
    response = await members.client.put(PATH, json=body, headers=members.auth(tenant=tenant))
    assert response.status_code == 422


async def test_only_a_superuser_for_the_whole_federation_may_change_the_table(
    tree: Tree,
) -> None:
    members = tree.members
    body = _pairs(("k", "ch"))
    for role in (Role.READ, Role.MEMBER_CARD, Role.MARKETING):
        response = await members.client.put(
            PATH, json=body, headers=members.auth(role, tenant=tree.tenant)
        )
        assert response.status_code == 403, role
    branch_superuser = tree.officer("a", role=Role.SUPERUSER)
    response = await members.client.put(PATH, json=body, headers=branch_superuser)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/needs-federation-scope")
    assert (await members.client.get(PATH, headers=branch_superuser)).json() == []


async def test_erased_members_keep_their_emptied_keys(members: RunningService, tenant: str) -> None:
    erased = await _register(members, tenant, "Christian Holm")
    async with members.runtime.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE members SET erased_at = now(), name = 'Erased member 1',"
                " search_name = '', phonetic_name = '' WHERE id = :m"
            ),
            {"m": erased["id"]},
        )
    change = await _put(members, tenant, ("k", "ch"))
    assert change["members_rekeyed"] == 0
    assert await _keys(members, tenant) == {"Erased member 1": ""}


async def test_registrations_racing_a_change_are_keyed_with_the_table_that_won(
    members: RunningService, tenant: str
) -> None:
    names = [f"Christian Holm {i}" for i in range(12)]
    headers = members.auth(tenant=tenant)

    async def register(name: str) -> int:
        body = {"name": name, "confirm_duplicate": True}
        return (await members.client.post("/v1/members", json=body, headers=headers)).status_code

    async def change() -> int:
        body = _pairs(("k", "ch"))
        return (await members.client.put(PATH, json=body, headers=headers)).status_code

    statuses = await asyncio.gather(
        *(register(n) for n in names[:6]), change(), *(register(n) for n in names[6:])
    )
    assert set(statuses) == {200, 201}
    table = canonical_spellings([("k", "ch")])
    assert await _keys(members, tenant) == {n: phonetic_key(n, table) for n in names}
