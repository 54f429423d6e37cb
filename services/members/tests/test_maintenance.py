"""Changing a member: only what is sent changes, every change is in the history and on the bus."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

from federa.shared.contracts.members import (
    MEMBER_ADDRESS_CHANGED,
    MEMBER_LEFT,
    MEMBER_STATUS_CHANGED,
    MEMBER_UPDATED,
)
from services.members.tests.conftest import Tree


async def _events(tree: Tree, member_id: str) -> list[dict[str, Any]]:
    async with tree.members.runtime.db.sessions() as session:
        rows = await session.execute(
            text("SELECT payload FROM outbox WHERE payload->>'subject' = :s ORDER BY id"),
            {"s": member_id},
        )
        return [r.payload for r in rows]


async def test_a_patch_changes_only_what_is_sent_and_is_recorded(tree: Tree) -> None:
    member = await tree.register("Pia Holm", "a", email="pia@example.org", city="Vejle")
    response = await tree.members.client.patch(
        f"/v1/members/{member['id']}",
        json={"email": "PIA@new.example.org", "value_units": 3},
        headers=tree.admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == "pia@new.example.org"
    assert body["value_units"] == 3
    assert body["city"] == "Vejle"
    assert body["version"] == 2

    history = (
        await tree.members.client.get(f"/v1/members/{member['id']}/history", headers=tree.admin)
    ).json()
    assert [h["action"] for h in history] == ["registered", "updated"]
    assert history[1]["changes"] == {
        "email": {"from": "pia@example.org", "to": "pia@new.example.org"},
        "value_units": {"from": None, "to": 3},
    }
    [*_, updated] = await _events(tree, member["id"])
    assert updated["type"] == MEMBER_UPDATED.type
    assert updated["aggregateversion"] == 2
    assert updated["data"]["changed_fields"] == ["email", "value_units"]
    assert updated["data"]["organisation_ids"]


async def test_a_patch_that_changes_nothing_makes_no_version(tree: Tree) -> None:
    member = await tree.register("Rasmus", "a", city="Odense")
    response = await tree.members.client.patch(
        f"/v1/members/{member['id']}", json={"city": "Odense"}, headers=tree.admin
    )
    assert response.json()["version"] == 1
    assert len(await _events(tree, member["id"])) == 1


async def test_an_address_change_is_its_own_event_and_reaches_secondaries(tree: Tree) -> None:
    primary = await tree.register(
        "Sara Lund", "a", street_name="Vestergade", street_no="12", postcode="7100", city="Vejle"
    )
    assert primary["address"] == "Vestergade 12"
    secondary = await tree.register("Tim Lund", "a", address="Old Road 1", postcode="7100")
    opted_out = await tree.register(
        "Ulla Lund", "a", address="Own Road 9", postcode="7100", address_sync_disabled=True
    )
    async with tree.members.runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE members SET primary_member_id = :p WHERE id IN (:a, :b)"),
            {"p": primary["id"], "a": secondary["id"], "b": opted_out["id"]},
        )

    response = await tree.members.client.patch(
        f"/v1/members/{primary['id']}",
        json={"street_no": "14", "street_letter": "b", "floor": "2", "floor_side": "th"},
        headers=tree.admin,
    )
    assert response.json()["address"] == "Vestergade 14B, 2. th."
    types = [e["type"] for e in await _events(tree, primary["id"])]
    assert types[-2:] == [MEMBER_UPDATED.type, MEMBER_ADDRESS_CHANGED.type]

    followed = (
        await tree.members.client.get(f"/v1/members/{secondary['id']}", headers=tree.admin)
    ).json()
    assert followed["address"] == "Vestergade 14B, 2. th."
    [*_, moved] = await _events(tree, secondary["id"])
    assert moved["type"] == MEMBER_ADDRESS_CHANGED.type
    assert moved["data"]["propagated_from"] == primary["id"]
    kept = (
        await tree.members.client.get(f"/v1/members/{opted_out['id']}", headers=tree.admin)
    ).json()
    assert kept["address"] == "Own Road 9"


async def test_a_status_change_needs_a_known_status(tree: Tree) -> None:
    member = await tree.register("Vera", "a")
    bad = await tree.members.client.post(
        f"/v1/members/{member['id']}/status", json={"status": "zombie"}, headers=tree.admin
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"
    good = await tree.members.client.post(
        f"/v1/members/{member['id']}/status",
        json={"status": "passive", "reason": "injury"},
        headers=tree.admin,
    )
    assert good.json()["status"] == "passive"
    [*_, event] = await _events(tree, member["id"])
    assert event["type"] == MEMBER_STATUS_CHANGED.type
    assert event["data"]["previous_status"] == "active"
    assert event["data"]["reason"] == "injury"


async def test_leaving_ends_affiliations_and_offices_on_the_leaving_date(tree: Tree) -> None:
    member = await tree.register("Willy", "a")
    await tree.members.client.post(
        f"/v1/members/{member['id']}/offices",
        json={"organisation_id": str(tree.ids["a"]), "office_type": "coach"},
        headers=tree.admin,
    )
    today = date.today().isoformat()
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/leave",
        json={"leaving_reason": "moved", "leaving_date": today},
        headers=tree.admin,
    )
    assert response.status_code == 200, response.text
    left = response.json()
    assert (left["status"], left["leaving_reason"], left["leaving_date"]) == (
        "left",
        "moved",
        today,
    )
    links = (
        await tree.members.client.get(
            f"/v1/members/{member['id']}/affiliations",
            params={"include_ended": "true"},
            headers=tree.admin,
        )
    ).json()
    assert {a["to_date"] for a in links} == {today}
    offices = (
        await tree.members.client.get(
            f"/v1/members/{member['id']}/offices",
            params={"include_ended": "true"},
            headers=tree.admin,
        )
    ).json()
    assert [o["to_date"] for o in offices] == [today]
    [*_, event] = await _events(tree, member["id"])
    assert event["type"] == MEMBER_LEFT.type
    # The branch still sees its former member.
    seen = await tree.members.client.get(f"/v1/members/{member['id']}", headers=tree.officer("a"))
    assert seen.status_code == 200


async def test_leaving_before_joining_is_refused(tree: Tree) -> None:
    member = await tree.register("Xenia", "a", enrolment_date="2026-01-10")
    response = await tree.members.client.post(
        f"/v1/members/{member['id']}/leave",
        json={"leaving_reason": "moved", "leaving_date": "2025-12-31"},
        headers=tree.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "leaving_date"
    unchanged = (
        await tree.members.client.get(f"/v1/members/{member['id']}", headers=tree.admin)
    ).json()
    assert unchanged["status"] == "active"


async def test_bad_patches_change_nothing(tree: Tree) -> None:
    member = await tree.register("Yrsa", "a")
    for body, field in (
        ({"name": None}, "name"),
        ({"category": "vip"}, "category"),
        ({"email": "nope"}, "email"),
        ({"status": "left"}, "status"),
    ):
        response = await tree.members.client.patch(
            f"/v1/members/{member['id']}", json=body, headers=tree.admin
        )
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (
        await tree.members.client.get(f"/v1/members/{member['id']}", headers=tree.admin)
    ).json()["version"] == 1


async def test_an_erased_member_cannot_be_changed(tree: Tree) -> None:
    member = await tree.register("Zack", "a")
    async with tree.members.runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE members SET erased_at = now() WHERE id = :m"), {"m": member["id"]}
        )
    response = await tree.members.client.patch(
        f"/v1/members/{member['id']}", json={"city": "X"}, headers=tree.admin
    )
    assert response.status_code == 409


async def test_the_tenant_edits_its_reference_tables(tree: Tree) -> None:
    put = await tree.members.client.put(
        "/v1/reference/status/honorary",
        json={"description": "Honorary member"},
        headers=tree.admin,
    )
    assert put.status_code == 200
    codes = (await tree.members.client.get("/v1/reference/status", headers=tree.admin)).json()
    assert "honorary" in [c["code"] for c in codes]
    member = await tree.register("Åse", "a", status="honorary")
    assert member["status"] == "honorary"
    missing = await tree.members.client.get("/v1/reference/planets", headers=tree.admin)
    assert missing.status_code == 404
    forbidden = await tree.members.client.put(
        "/v1/reference/status/x", json={"description": "x"}, headers=tree.officer("a")
    )
    assert forbidden.status_code == 403


async def test_the_tenant_sets_its_options(tree: Tree) -> None:
    response = await tree.members.client.patch(
        "/v1/settings",
        json={
            "duplicate_check": False,
            "name_propagation": "primary_to_secondaries",
            "default_office_type": "volunteer",
        },
        headers=tree.admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["name_propagation"] == "primary_to_secondaries"
    assert (await tree.members.client.get("/v1/settings", headers=tree.admin)).json()[
        "duplicate_check"
    ] is False
    bad = await tree.members.client.patch(
        "/v1/settings", json={"default_office_type": "pharaoh"}, headers=tree.admin
    )
    assert bad.status_code == 422
    officer = await tree.members.client.patch(
        "/v1/settings", json={"duplicate_check": True}, headers=tree.officer("a")
    )
    assert officer.status_code == 403
