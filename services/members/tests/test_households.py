"""Households and companies: link, unlink, the address and the names a household shares."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from federa.members.households import pass_name_change_in_tx
from federa.shared.auth import Role
from federa.shared.contracts.members import (
    HOUSEHOLD_LINKED,
    HOUSEHOLD_UNLINKED,
    MEMBER_ADDRESS_CHANGED,
    MEMBER_UPDATED,
)
from federa.shared.testing.harness import RunningService

HOME = {
    "street_name": "Vestergade",
    "street_no": "12",
    "postcode": "8000",
    "city": "Aarhus C",
}


async def register(
    members: RunningService, tenant: str, name: str, **fields: Any
) -> dict[str, Any]:
    response = await members.client.post(
        "/v1/members",
        json={"name": name, "confirm_duplicate": True, **fields},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def link(
    members: RunningService, tenant: str, secondary: dict[str, Any], primary: dict[str, Any]
) -> Any:
    return await members.client.put(
        f"/v1/members/{secondary['id']}/household",
        json={"primary_member_id": primary["id"]},
        headers=members.auth(tenant=tenant),
    )


async def member(members: RunningService, tenant: str, row: dict[str, Any]) -> dict[str, Any]:
    response = await members.client.get(
        f"/v1/members/{row['id']}", headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def events(members: RunningService, subject: str, event_type: str) -> list[dict[str, Any]]:
    async with members.runtime.db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT payload FROM outbox WHERE payload->>'subject' = :s AND event_type = :t "
                "ORDER BY (payload->>'aggregateversion')::int"
            ),
            {"s": subject, "t": event_type},
        )
        return [r.payload for r in rows]


async def set_name_propagation(members: RunningService, tenant: str, rule: str) -> None:
    response = await members.client.patch(
        "/v1/settings", json={"name_propagation": rule}, headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 200, response.text


async def test_linking_makes_a_secondary_with_its_own_version_history_and_events(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm", **HOME)
    secondary = await register(members, tenant, "Bo Holm")

    response = await link(members, tenant, secondary, primary)

    assert response.status_code == 200, response.text
    household = response.json()
    assert household["primary"]["id"] == primary["id"]
    assert [s["id"] for s in household["secondaries"]] == [secondary["id"]]
    linked = await member(members, tenant, secondary)
    assert linked["primary_member_id"] == primary["id"]
    [event] = await events(members, secondary["id"], HOUSEHOLD_LINKED.type)
    assert event["data"]["primary_member_id"] == primary["id"]
    assert event["data"]["secondary_member_id"] == secondary["id"]
    updates = await events(members, secondary["id"], MEMBER_UPDATED.type)
    assert updates[0]["data"]["changed_fields"] == ["primary_member_id"]
    assert event["aggregateversion"] == updates[0]["aggregateversion"] == secondary["version"] + 1
    history = (
        await members.client.get(
            f"/v1/members/{secondary['id']}/history", headers=members.auth(tenant=tenant)
        )
    ).json()
    assert history[1]["action"] == "household_linked"
    assert history[1]["changes"]["primary_member_id"] == {"from": None, "to": primary["id"]}


async def test_the_household_reads_the_same_from_the_primary_and_from_a_secondary(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm")
    first = await register(members, tenant, "Bo Holm")
    second = await register(members, tenant, "Cai Holm")
    alone = await register(members, tenant, "Dan Dahl")
    for secondary in (first, second):
        assert (await link(members, tenant, secondary, primary)).status_code == 200

    for row in (primary, first, second):
        household = (
            await members.client.get(
                f"/v1/members/{row['id']}/household", headers=members.auth(tenant=tenant)
            )
        ).json()
        assert household["primary"]["id"] == primary["id"]
        assert [s["id"] for s in household["secondaries"]] == [first["id"], second["id"]]
    on_its_own = await members.client.get(
        f"/v1/members/{alone['id']}/household", headers=members.auth(tenant=tenant)
    )
    assert on_its_own.json() == {"primary": None, "secondaries": []}


async def test_a_linked_secondary_takes_the_primary_address_and_follows_it(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm", **HOME)
    secondary = await register(
        members, tenant, "Bo Holm", street_name="Nørregade", street_no="3", postcode="5000"
    )

    await link(members, tenant, secondary, primary)

    moved = await member(members, tenant, secondary)
    assert (moved["address"], moved["postcode"], moved["city"]) == (
        "Vestergade 12",
        "8000",
        "Aarhus C",
    )
    [changed] = await events(members, secondary["id"], MEMBER_ADDRESS_CHANGED.type)
    assert changed["data"]["propagated_from"] == primary["id"]
    assert changed["data"]["address"] == "Vestergade 12"

    await members.client.patch(
        f"/v1/members/{primary['id']}",
        json={"street_name": "Søndergade", "street_no": "1"},
        headers=members.auth(tenant=tenant),
    )
    assert (await member(members, tenant, secondary))["address"] == "Søndergade 1"


async def test_a_secondary_that_opted_out_keeps_its_own_address(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm", **HOME)
    secondary = await register(
        members,
        tenant,
        "Bo Holm",
        street_name="Nørregade",
        street_no="3",
        address_sync_disabled=True,
    )

    await link(members, tenant, secondary, primary)

    assert (await member(members, tenant, secondary))["address"] == "Nørregade 3"
    assert await events(members, secondary["id"], MEMBER_ADDRESS_CHANGED.type) == []


async def test_linking_to_a_primary_without_an_address_keeps_the_secondary_address(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Firma ApS", party_kind="company")
    secondary = await register(members, tenant, "Bo Holm", **HOME)

    await link(members, tenant, secondary, primary)

    assert (await member(members, tenant, secondary))["address"] == "Vestergade 12"


@pytest.mark.parametrize("shape", ["self", "secondary_of_secondary", "primary_with_secondaries"])
async def test_links_that_would_nest_households_are_refused_and_change_nothing(
    members: RunningService, tenant: str, shape: str
) -> None:
    head = await register(members, tenant, "Anna Holm")
    middle = await register(members, tenant, "Bo Holm")
    other = await register(members, tenant, "Cai Holm")
    await link(members, tenant, middle, head)
    secondary, primary, status = {
        "self": (other, other, 422),
        "secondary_of_secondary": (other, middle, 409),
        "primary_with_secondaries": (head, other, 409),
    }[shape]
    before = await member(members, tenant, secondary)

    response = await link(members, tenant, secondary, primary)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["primary_member_id"]
    assert await member(members, tenant, secondary) == before


async def test_linking_twice_changes_nothing_the_second_time(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm")
    secondary = await register(members, tenant, "Bo Holm")
    await link(members, tenant, secondary, primary)
    version = (await member(members, tenant, secondary))["version"]

    assert (await link(members, tenant, secondary, primary)).status_code == 200

    assert (await member(members, tenant, secondary))["version"] == version
    assert len(await events(members, secondary["id"], HOUSEHOLD_LINKED.type)) == 1


async def test_linking_to_another_primary_moves_the_secondary(
    members: RunningService, tenant: str
) -> None:
    old = await register(members, tenant, "Anna Holm")
    new = await register(members, tenant, "Eva Berg")
    secondary = await register(members, tenant, "Bo Holm")
    await link(members, tenant, secondary, old)

    response = await link(members, tenant, secondary, new)

    assert response.json()["primary"]["id"] == new["id"]
    [unlinked] = await events(members, secondary["id"], HOUSEHOLD_UNLINKED.type)
    linked = await events(members, secondary["id"], HOUSEHOLD_LINKED.type)
    assert unlinked["data"]["primary_member_id"] == old["id"]
    assert linked[-1]["data"]["primary_member_id"] == new["id"]
    assert linked[0]["aggregateversion"] < unlinked["aggregateversion"]
    assert unlinked["aggregateversion"] < linked[-1]["aggregateversion"]


async def test_unlinking_ends_the_link_and_keeps_the_address(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm", **HOME)
    secondary = await register(members, tenant, "Bo Holm")
    await link(members, tenant, secondary, primary)

    response = await members.client.delete(
        f"/v1/members/{secondary['id']}/household", headers=members.auth(tenant=tenant)
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"primary": None, "secondaries": []}
    unlinked = await member(members, tenant, secondary)
    assert unlinked["primary_member_id"] is None
    assert unlinked["address"] == "Vestergade 12"
    [event] = await events(members, secondary["id"], HOUSEHOLD_UNLINKED.type)
    assert event["data"]["primary_member_id"] == primary["id"]
    assert event["aggregateversion"] == unlinked["version"]
    again = await members.client.delete(
        f"/v1/members/{secondary['id']}/household", headers=members.auth(tenant=tenant)
    )
    assert again.status_code == 200
    assert len(await events(members, secondary["id"], HOUSEHOLD_UNLINKED.type)) == 1


async def test_a_branch_officer_cannot_link_to_a_member_outside_the_branch(
    members: RunningService, tenant: str
) -> None:
    admin = members.auth(tenant=tenant)
    branches = []
    for name in ("North", "South"):
        response = await members.client.post(
            "/v1/organisations",
            json={"name": name, "organisation_type": "branch"},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        branches.append(response.json()["id"])
    inside = await register(members, tenant, "Anna Holm", organisation_id=branches[0])
    outside = await register(members, tenant, "Bo Holm", organisation_id=branches[1])
    officer = {
        "Authorization": "Bearer "
        + members.token(Role.MEMBER_CARD, tenant=tenant, orgs=(branches[0],))
    }

    response = await members.client.put(
        f"/v1/members/{inside['id']}/household",
        json={"primary_member_id": outside["id"]},
        headers=officer,
    )

    assert response.status_code == 404
    assert (await member(members, tenant, inside))["primary_member_id"] is None


async def test_a_reader_cannot_link(members: RunningService, tenant: str) -> None:
    primary = await register(members, tenant, "Anna Holm")
    secondary = await register(members, tenant, "Bo Holm")
    response = await members.client.put(
        f"/v1/members/{secondary['id']}/household",
        json={"primary_member_id": primary["id"]},
        headers=members.auth(Role.READ, tenant=tenant),
    )
    assert response.status_code == 403


async def test_primary_to_secondaries_puts_the_primary_name_on_each_secondary(
    members: RunningService, tenant: str
) -> None:
    await register(members, tenant, "Someone")  # the tenant exists before its settings change
    await set_name_propagation(members, tenant, "primary_to_secondaries")
    primary = await register(members, tenant, "Anna Holm")
    kept = await register(members, tenant, "Bo Holm")
    leaving = await register(members, tenant, "Cai Holm")
    for secondary in (kept, leaving):
        await link(members, tenant, secondary, primary)
    assert (await member(members, tenant, kept))["name_2"] == "Anna Holm"

    await members.client.delete(
        f"/v1/members/{leaving['id']}/household", headers=members.auth(tenant=tenant)
    )
    assert (await member(members, tenant, leaving))["name_2"] is None

    # A rename passes on to the secondaries that still carry the old name.
    await members.client.patch(
        f"/v1/members/{primary['id']}",
        json={"name": "Anna Holm-Berg"},
        headers=members.auth(tenant=tenant),
    )
    async with members.runtime.db.transaction() as session:
        renamed = (
            (await session.execute(text("SELECT * FROM members WHERE id = :id"), primary))
            .mappings()
            .one()
        )
        await pass_name_change_in_tx(session, dict(renamed), "Anna Holm", "test")
    assert (await member(members, tenant, kept))["name_2"] == "Anna Holm-Berg"
    assert (await member(members, tenant, primary))["name_2"] is None


async def test_first_secondary_to_primary_names_the_primary_after_its_first_secondary(
    members: RunningService, tenant: str
) -> None:
    await register(members, tenant, "Someone")
    await set_name_propagation(members, tenant, "first_secondary_to_primary")
    primary = await register(members, tenant, "Anna Holm")
    first = await register(members, tenant, "Bo Holm")
    second = await register(members, tenant, "Cai Holm")

    await link(members, tenant, first, primary)
    await link(members, tenant, second, primary)
    assert (await member(members, tenant, primary))["name_2"] == "Bo Holm"
    assert (await member(members, tenant, second))["name_2"] is None

    await members.client.delete(
        f"/v1/members/{first['id']}/household", headers=members.auth(tenant=tenant)
    )
    assert (await member(members, tenant, primary))["name_2"] == "Cai Holm"

    await members.client.delete(
        f"/v1/members/{second['id']}/household", headers=members.auth(tenant=tenant)
    )
    assert (await member(members, tenant, primary))["name_2"] is None


async def test_without_name_propagation_names_stay_as_they_are(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm", name_2="c/o Berg")
    secondary = await register(members, tenant, "Bo Holm")

    await link(members, tenant, secondary, primary)

    assert (await member(members, tenant, primary))["name_2"] == "c/o Berg"
    assert (await member(members, tenant, secondary))["name_2"] is None
