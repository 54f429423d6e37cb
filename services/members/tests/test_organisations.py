"""The organisation tree: create, read, scope, move, areas."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import text

from federa.shared.auth import Role
from federa.shared.contracts.members import ORGANISATION_CREATED, ORGANISATION_MOVED
from services.members.tests.conftest import Tree


async def test_an_organisation_knows_its_ancestors_root_first(tree: Tree) -> None:
    response = await tree.members.client.get(
        f"/v1/organisations/{tree.ids['a']}", headers=tree.admin
    )
    body = response.json()
    assert body["parent_id"] == str(tree.ids["north"])
    assert body["ancestor_ids"] == [str(tree.ids["federation"]), str(tree.ids["north"])]
    assert body["organisation_number"] >= 1


async def test_creating_an_organisation_publishes_organisation_created(tree: Tree) -> None:
    async with tree.members.runtime.db.sessions() as session:
        payload = (
            await session.execute(
                text(
                    "SELECT payload FROM outbox WHERE event_type = :t AND payload->>'subject' = :s"
                ),
                {"t": ORGANISATION_CREATED.type, "s": str(tree.ids["c"])},
            )
        ).scalar_one()
    assert payload["data"]["ancestor_ids"] == [str(tree.ids["federation"]), str(tree.ids["south"])]
    assert payload["data"]["organisation_type"] == "branch"


async def test_an_officer_lists_only_their_subtree(tree: Tree) -> None:
    response = await tree.members.client.get(
        "/v1/organisations", headers=tree.officer("north", role=Role.READ)
    )
    names = [o["name"] for o in response.json()["items"]]
    # Depth first: a parent before its children.
    assert names[0] == "North"
    assert sorted(names[1:]) == ["Branch A", "Branch B"]
    outside = await tree.members.client.get(
        f"/v1/organisations/{tree.ids['c']}", headers=tree.officer("north", role=Role.READ)
    )
    assert outside.status_code == 404


async def test_an_unknown_organisation_type_is_refused(tree: Tree) -> None:
    response = await tree.members.client.post(
        "/v1/organisations",
        json={"name": "X", "organisation_type": "galaxy", "parent_id": str(tree.ids["a"])},
        headers=tree.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organisation_type"


async def test_only_superusers_set_up_organisations(tree: Tree) -> None:
    response = await tree.members.client.post(
        "/v1/organisations",
        json={"name": "X", "organisation_type": "section", "parent_id": str(tree.ids["a"])},
        headers=tree.officer("a"),
    )
    assert response.status_code == 403


async def test_moving_a_branch_moves_its_subtree_and_members_follow(tree: Tree) -> None:
    section = await _section_under(tree, "a")
    member = await tree.register("Ola Nord", "a")

    response = await tree.members.client.post(
        f"/v1/organisations/{tree.ids['a']}/move",
        json={"parent_id": str(tree.ids["south"])},
        headers=tree.admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["ancestor_ids"] == [str(tree.ids["federation"]), str(tree.ids["south"])]
    moved_section = (
        await tree.members.client.get(f"/v1/organisations/{section}", headers=tree.admin)
    ).json()
    assert moved_section["ancestor_ids"][-2:] == [str(tree.ids["south"]), str(tree.ids["a"])]

    affiliations = await tree.members.client.get(
        f"/v1/members/{member['id']}/affiliations", headers=tree.admin
    )
    by_org = {a["organisation_id"]: a for a in affiliations.json()}
    today = date.today().isoformat()
    # The old region's affiliation ends on the day of the move, the new one starts on it.
    assert by_org[str(tree.ids["north"])]["to_date"] == today
    assert by_org[str(tree.ids["south"])]["from_date"] == today
    assert by_org[str(tree.ids["south"])]["source"] == "ancestor"
    assert by_org[str(tree.ids["a"])]["to_date"] is None
    assert by_org[str(tree.ids["federation"])]["to_date"] is None
    seen = await tree.members.client.get(
        f"/v1/members/{member['id']}", headers=tree.officer("south", role=Role.READ)
    )
    assert seen.status_code == 200

    async with tree.members.runtime.db.sessions() as session:
        moved = (
            await session.execute(
                text(
                    "SELECT count(*) FROM outbox WHERE event_type = :t AND payload->>'subject' = :s"
                ),
                {"t": ORGANISATION_MOVED.type, "s": str(tree.ids["a"])},
            )
        ).scalar_one()
    assert moved == 1


async def test_an_organisation_cannot_move_beneath_itself(tree: Tree) -> None:
    section = await _section_under(tree, "a")
    for new_parent in (tree.ids["a"], section):
        response = await tree.members.client.post(
            f"/v1/organisations/{tree.ids['a']}/move",
            json={"parent_id": str(new_parent)},
            headers=tree.admin,
        )
        assert response.status_code == 409
        assert response.json()["type"].endswith("/organisation-loop")
    unchanged = (
        await tree.members.client.get(f"/v1/organisations/{tree.ids['a']}", headers=tree.admin)
    ).json()
    assert unchanged["parent_id"] == str(tree.ids["north"])


async def test_areas_route_new_members_to_the_branch_and_its_ancestors(tree: Tree) -> None:
    response = await tree.members.client.put(
        f"/v1/organisations/{tree.ids['c']}/areas",
        json={"postcodes": ["8000", "8200"], "municipalities": ["751"]},
        headers=tree.admin,
    )
    assert response.json() == {"postcodes": ["8000", "8200"], "municipalities": ["751"]}
    member = await tree.register("Signe Syd", None, postcode="8200")
    affiliations = await tree.members.client.get(
        f"/v1/members/{member['id']}/affiliations", headers=tree.admin
    )
    by_org = {a["organisation_id"]: a["source"] for a in affiliations.json()}
    assert by_org == {
        str(tree.ids["c"]): "postcode",
        str(tree.ids["south"]): "ancestor",
        str(tree.ids["federation"]): "ancestor",
    }


async def _section_under(tree: Tree, branch: str) -> uuid.UUID:
    response = await tree.members.client.post(
        "/v1/organisations",
        json={
            "name": f"Section of {branch}",
            "organisation_type": "section",
            "parent_id": str(tree.ids[branch]),
        },
        headers=tree.admin,
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def test_an_affiliation_found_by_municipality_says_so(tree: Tree) -> None:
    await tree.members.client.put(
        f"/v1/organisations/{tree.ids['b']}/areas",
        json={"postcodes": [], "municipalities": ["461"]},
        headers=tree.admin,
    )
    member = await tree.register("Tove Vest", None, postcode="5000", municipality_code="461")
    affiliations = await tree.members.client.get(
        f"/v1/members/{member['id']}/affiliations", headers=tree.admin
    )
    by_org = {a["organisation_id"]: a["source"] for a in affiliations.json()}
    assert by_org[str(tree.ids["b"])] == "municipality"
