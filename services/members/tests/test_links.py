"""Affiliations and offices with dates: ancestors attached, active derived, history kept."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from federa.shared.contracts.members import AFFILIATION_ENDED, OFFICE_STARTED
from services.members.tests.conftest import Tree


async def test_affiliating_to_a_branch_attaches_every_ancestor(tree: Tree) -> None:
    member = await tree.register("Hans", None)
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/affiliations",
        json={"organisation_id": str(tree.ids["c"])},
        headers=tree.admin,
    )
    assert response.status_code == 201, response.text
    created = {a["organisation_id"]: a for a in response.json()}
    assert set(created) == {str(tree.ids[o]) for o in ("c", "south", "federation")}
    base = created[str(tree.ids["c"])]
    assert created[str(tree.ids["south"])]["derived_from"] == base["id"]
    assert all(a["active"] for a in created.values())


async def test_a_second_branch_in_the_same_region_keeps_the_region_when_one_ends(
    tree: Tree,
) -> None:
    member = await tree.register("Inge", "a")
    await tree.members.client.post(
        f"/v1/members/{member['id']}/affiliations",
        json={"organisation_id": str(tree.ids["b"])},
        headers=tree.admin,
    )
    current = (
        await tree.members.client.get(
            f"/v1/members/{member['id']}/affiliations", headers=tree.admin
        )
    ).json()
    [branch_a] = [a for a in current if a["organisation_id"] == str(tree.ids["a"])]
    ended = await tree.members.client.post(
        f"/v1/members/{member['id']}/affiliations/{branch_a['id']}/end",
        json={"to_date": date.today().isoformat()},
        headers=tree.admin,
    )
    assert [a["organisation_id"] for a in ended.json()] == [str(tree.ids["a"])]
    tomorrow = await _active_on(tree, member["id"], date.today() + timedelta(days=1))
    assert tomorrow == {str(tree.ids[o]) for o in ("b", "north", "federation")}


async def test_ending_the_only_branch_ends_its_ancestors_too(tree: Tree) -> None:
    member = await tree.register("Jens", "c")
    current = (
        await tree.members.client.get(
            f"/v1/members/{member['id']}/affiliations", headers=tree.admin
        )
    ).json()
    [branch] = [a for a in current if a["source"] == "manual"]
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/affiliations/{branch['id']}/end",
        json={"to_date": date.today().isoformat()},
        headers=tree.admin,
    )
    assert len(response.json()) == 3
    assert await _active_on(tree, member["id"], date.today() + timedelta(days=1)) == set()
    async with tree.members.runtime.db.sessions() as session:
        ended = (
            await session.execute(
                text(
                    "SELECT count(*) FROM outbox WHERE event_type = :t "
                    "AND payload->'data'->>'member_id' = :m"
                ),
                {"t": AFFILIATION_ENDED.type, "m": member["id"]},
            )
        ).scalar_one()
    assert ended == 3


async def test_an_ancestor_affiliation_cannot_be_ended_on_its_own(tree: Tree) -> None:
    member = await tree.register("Kim", "a")
    current = (
        await tree.members.client.get(
            f"/v1/members/{member['id']}/affiliations", headers=tree.admin
        )
    ).json()
    [derived] = [a for a in current if a["organisation_id"] == str(tree.ids["north"])]
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/affiliations/{derived['id']}/end",
        json={},
        headers=tree.admin,
    )
    assert response.status_code == 409


async def test_an_office_is_active_between_its_dates_and_history_is_kept(tree: Tree) -> None:
    member = await tree.register("Lis", "a")
    yesterday = date.today() - timedelta(days=1)
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/offices",
        json={
            "organisation_id": str(tree.ids["a"]),
            "office_type": "chair",
            "from_date": (yesterday - timedelta(days=30)).isoformat(),
        },
        headers=tree.admin,
    )
    assert response.status_code == 201, response.text
    office = response.json()
    assert office["active"] is True
    ended = await tree.members.client.post(
        f"/v1/members/{member['id']}/offices/{office['id']}/end",
        json={"to_date": yesterday.isoformat()},
        headers=tree.admin,
    )
    assert ended.json()["active"] is False
    current = await tree.members.client.get(
        f"/v1/members/{member['id']}/offices", headers=tree.admin
    )
    assert current.json() == []
    history = await tree.members.client.get(
        f"/v1/members/{member['id']}/offices",
        params={"include_ended": "true"},
        headers=tree.admin,
    )
    assert [o["office_type"] for o in history.json()] == ["chair"]


async def test_an_office_ending_before_it_starts_is_refused_and_nothing_stored(
    tree: Tree,
) -> None:
    member = await tree.register("Mads", "a")
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/offices",
        json={
            "organisation_id": str(tree.ids["a"]),
            "office_type": "treasurer",
            "from_date": "2026-05-01",
            "to_date": "2026-04-30",
        },
        headers=tree.admin,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    async with tree.members.runtime.db.sessions() as session:
        stored = (
            await session.execute(
                text("SELECT count(*) FROM offices WHERE member_id = :m"), {"m": member["id"]}
            )
        ).scalar_one()
    assert stored == 0


async def test_an_unknown_office_type_is_refused(tree: Tree) -> None:
    member = await tree.register("Nina", "a")
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/offices",
        json={"organisation_id": str(tree.ids["a"]), "office_type": "emperor"},
        headers=tree.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "office_type"


async def test_the_default_office_is_created_for_new_members_where_configured(
    tree: Tree,
) -> None:
    async with tree.members.runtime.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE tenant_settings SET create_default_office = true, "
                "default_office_type = 'volunteer' WHERE tenant = :t"
            ),
            {"t": tree.tenant},
        )
    member = await tree.register("Ole", "b")
    offices = (
        await tree.members.client.get(f"/v1/members/{member['id']}/offices", headers=tree.admin)
    ).json()
    assert [(o["office_type"], o["organisation_id"]) for o in offices] == [
        ("volunteer", str(tree.ids["b"]))
    ]
    async with tree.members.runtime.db.sessions() as session:
        started = (
            await session.execute(
                text(
                    "SELECT count(*) FROM outbox WHERE event_type = :t "
                    "AND payload->'data'->>'member_id' = :m"
                ),
                {"t": OFFICE_STARTED.type, "m": member["id"]},
            )
        ).scalar_one()
    assert started == 1


async def _active_on(tree: Tree, member_id: str, day: date) -> set[str]:
    rows = (
        await tree.members.client.get(
            f"/v1/members/{member_id}/affiliations",
            params={"include_ended": "true"},
            headers=tree.admin,
        )
    ).json()
    return {
        a["organisation_id"]
        for a in rows
        if a["from_date"] <= day.isoformat()
        and (a["to_date"] is None or a["to_date"] >= day.isoformat())
    }
