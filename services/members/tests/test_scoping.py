"""A branch officer sees and changes only members of their subtree (SPEC §2.6)."""

from __future__ import annotations

from federa.shared.auth import Role
from services.members.tests.conftest import Tree


async def test_an_officer_of_branch_a_gets_404_for_a_member_of_branch_c(tree: Tree) -> None:
    member_c = await tree.register("Carl Syd", "c")
    for path in ("", "/history", "/affiliations", "/offices"):
        response = await tree.members.client.get(
            f"/v1/members/{member_c['id']}{path}", headers=tree.officer("a", role=Role.READ)
        )
        assert response.status_code == 404, path
    patch = await tree.members.client.patch(
        f"/v1/members/{member_c['id']}", json={"city": "Aarhus"}, headers=tree.officer("a")
    )
    assert patch.status_code == 404


async def test_a_region_officer_sees_the_members_of_its_branches(tree: Tree) -> None:
    member_a = await tree.register("Anna Nord", "a")
    member_b = await tree.register("Bo Nord", "b")
    member_c = await tree.register("Cai Syd", "c")
    listed = await tree.members.client.get(
        "/v1/members", headers=tree.officer("north", role=Role.READ)
    )
    ids = {m["id"] for m in listed.json()["items"]}
    assert ids == {member_a["id"], member_b["id"]}
    assert member_c["id"] not in ids


async def test_an_officer_registers_into_their_own_branch_by_default(tree: Tree) -> None:
    response = await tree.members.client.post(
        "/v1/members", json={"name": "Dina Ny"}, headers=tree.officer("b")
    )
    assert response.status_code == 201, response.text
    member = response.json()
    assert member["organisation_id"] == str(tree.ids["b"])
    affiliations = await tree.members.client.get(
        f"/v1/members/{member['id']}/affiliations", headers=tree.officer("b")
    )
    sources = {a["organisation_id"]: a["source"] for a in affiliations.json()}
    assert sources == {
        str(tree.ids["b"]): "user",
        str(tree.ids["north"]): "ancestor",
        str(tree.ids["federation"]): "ancestor",
    }


async def test_an_officer_cannot_register_into_another_branch(tree: Tree) -> None:
    response = await tree.members.client.post(
        "/v1/members",
        json={"name": "Eva", "organisation_id": str(tree.ids["c"])},
        headers=tree.officer("a"),
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/organisation-out-of-scope")


async def test_an_officer_of_two_branches_must_say_which(tree: Tree) -> None:
    response = await tree.members.client.post(
        "/v1/members", json={"name": "Finn"}, headers=tree.officer("a", "b")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organisation_id"


async def test_a_token_for_an_unknown_organisation_sees_nothing(tree: Tree) -> None:
    await tree.register("Gro", "a")
    token_headers = tree.officer("a", role=Role.READ)
    # Same tenant, but an organisation id of another federation.
    from federa.shared.auth import mint_dev_token

    stranger = mint_dev_token(
        tree.members.settings,
        roles=[Role.READ],
        tenant=tree.tenant,
        organisations=["00000000-0000-0000-0000-000000000001"],
    )
    listed = await tree.members.client.get(
        "/v1/members", headers={"Authorization": f"Bearer {stranger}"}
    )
    assert listed.json()["total"] == 0
    assert (await tree.members.client.get("/v1/members", headers=token_headers)).json()[
        "total"
    ] == 1
