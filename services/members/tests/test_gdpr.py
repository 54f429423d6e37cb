"""GDPR: the export of everything held about a member, and erasure by pseudonymisation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from federa.shared.auth import Role
from federa.shared.contracts.members import (
    HOUSEHOLD_UNLINKED,
    MEMBER_ERASED,
    MEMBER_UPDATED,
)
from federa.shared.testing.harness import RunningService

PERSON = {
    "name": "Anna Holm",
    "name_2": "c/o Berg",
    "street_name": "Vestergade",
    "street_no": "12",
    "postcode": "8000",
    "city": "Aarhus C",
    "municipality_code": "751",
    "email": "anna@example.org",
    "phone": "+45 12 34 56 78",
    "mobile": "+45 87 65 43 21",
    "birth_date": "1980-05-17",
    "gender": "female",
    "tags": ["choir", "volunteer"],
    "category": "member",
    "external_id": "legacy-4711",
    "confirm_duplicate": True,
}


async def register(members: RunningService, tenant: str, **fields: Any) -> Any:
    response = await members.client.post(
        "/v1/members", json={**PERSON, **fields}, headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def erase(members: RunningService, tenant: str, member_id: str, *roles: Role) -> Any:
    return await members.client.post(
        f"/v1/members/{member_id}/erase",
        json={"reason": "Request 2024-17"},
        headers=members.auth(*roles, tenant=tenant),
    )


async def outbox(members: RunningService, subject: str, event_type: str) -> list[Any]:
    async with members.runtime.db.sessions() as session:
        rows = await session.execute(
            text("SELECT payload FROM outbox WHERE payload->>'subject' = :s AND event_type = :t"),
            {"s": subject, "t": event_type},
        )
        return [r.payload for r in rows]


async def test_the_export_holds_everything_about_the_member(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, name="Bo Holm", external_id=None)
    member = await register(members, tenant)
    admin = members.auth(tenant=tenant)
    await members.client.put(
        f"/v1/members/{member['id']}/household",
        json={"primary_member_id": primary["id"]},
        headers=admin,
    )
    await members.client.post(
        f"/v1/members/{member['id']}/addresses",
        json={"address_type": "work", "address": "Havnegade 7"},
        headers=admin,
    )
    await members.client.patch(
        f"/v1/members/{member['id']}", json={"email": "anna@new.example"}, headers=admin
    )

    response = await members.client.get(
        f"/v1/members/{member['id']}/export", headers=members.auth(Role.READ, tenant=tenant)
    )

    assert response.status_code == 200, response.text
    export = response.json()
    assert export["member"]["email"] == "anna@new.example"
    assert export["member"]["birth_date"] == "1980-05-17"
    assert export["history"][0]["action"] == "registered"
    assert any("email" in h["changes"] for h in export["history"])
    assert [a["address"] for a in export["alternative_addresses"]] == ["Havnegade 7"]
    assert export["household"]["primary_member"] == {
        "id": primary["id"],
        "member_number": primary["member_number"],
    }
    assert export["household"]["secondary_members"] == []
    assert export["import_references"] == {"external_id": "legacy-4711"}
    assert export["affiliations"] == []
    assert export["offices"] == []


async def test_the_export_of_a_member_outside_the_caller_organisations_is_404(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    branch = await members.client.post(
        "/v1/organisations",
        json={"name": "North", "organisation_type": "branch"},
        headers=members.auth(tenant=tenant),
    )
    token = members.token(Role.READ, tenant=tenant, orgs=(branch.json()["id"],))

    response = await members.client.get(
        f"/v1/members/{member['id']}/export", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 404


async def test_erasure_pseudonymises_personal_data_and_keeps_what_the_accounts_need(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    admin = members.auth(tenant=tenant)
    await members.client.patch(
        f"/v1/members/{member['id']}", json={"email": "anna@new.example"}, headers=admin
    )
    await members.client.post(
        f"/v1/members/{member['id']}/status",
        json={"status": "passive", "reason": "moved to Anna's sister"},
        headers=admin,
    )
    await members.client.post(
        f"/v1/members/{member['id']}/addresses",
        json={"address_type": "work", "address": "Havnegade 7"},
        headers=admin,
    )

    response = await erase(members, tenant, member["id"])

    assert response.status_code == 200, response.text
    erased = response.json()
    number = member["member_number"]
    assert erased["name"] == f"Erased member {number}"
    for field in (
        "name_2",
        "address",
        "street_name",
        "postcode",
        "city",
        "municipality_code",
        "email",
        "phone",
        "mobile",
        "birth_date",
        "birth_year",
        "gender",
    ):
        assert erased[field] is None, field
    assert erased["tags"] == []
    assert (erased["id"], erased["member_number"]) == (member["id"], number)
    assert (erased["status"], erased["category"]) == ("passive", "member")
    assert erased["enrolment_date"] == member["enrolment_date"]
    assert erased["external_id"] == "legacy-4711"
    async with members.runtime.db.sessions() as session:
        row = (
            (
                await session.execute(
                    text("SELECT * FROM members WHERE id = :id"), {"id": member["id"]}
                )
            )
            .mappings()
            .one()
        )
        history = (
            await session.execute(
                text("SELECT changes::text FROM member_history WHERE member_id = :id"),
                {"id": member["id"]},
            )
        ).scalars()
        everything = " ".join(history)
    assert row["erased_at"] is not None
    assert (row["search_name"], row["phonetic_name"]) == ("", "")
    for personal in ("anna@", "Anna", "sister", "Vestergade", "Havnegade"):
        assert personal not in everything, personal
    exported = (
        await members.client.get(f"/v1/members/{member['id']}/export", headers=admin)
    ).json()
    assert exported["alternative_addresses"] == []
    changes = {h["action"]: h["changes"] for h in exported["history"]}
    assert changes["updated"]["email"] == {"from": None, "to": None, "erased": True}
    assert changes["status_changed"]["status"] == {"from": "active", "to": "passive"}
    assert changes["erased"]["erasure_reason"]["to"] == "Request 2024-17"
    [event] = await outbox(members, member["id"], MEMBER_ERASED.type)
    assert event["data"]["member_number"] == number
    assert event["aggregateversion"] == erased["version"]
    last_update = max(
        await outbox(members, member["id"], MEMBER_UPDATED.type),
        key=lambda e: e["aggregateversion"],
    )
    assert last_update["aggregateversion"] == erased["version"]
    assert last_update["data"]["name"] == f"Erased member {number}"
    assert last_update["data"]["email"] is None


async def test_erasing_twice_changes_nothing_the_second_time(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    first = (await erase(members, tenant, member["id"])).json()

    second = await erase(members, tenant, member["id"])

    assert second.status_code == 200
    assert second.json()["version"] == first["version"]
    assert len(await outbox(members, member["id"], MEMBER_ERASED.type)) == 1


async def test_an_erased_member_cannot_be_changed(members: RunningService, tenant: str) -> None:
    member = await register(members, tenant)
    await erase(members, tenant, member["id"])
    admin = members.auth(tenant=tenant)

    patched = await members.client.patch(
        f"/v1/members/{member['id']}", json={"name": "Anna Again"}, headers=admin
    )
    address = await members.client.post(
        f"/v1/members/{member['id']}/addresses",
        json={"address_type": "work", "address": "Havnegade 7"},
        headers=admin,
    )

    assert patched.status_code == 409
    assert address.status_code == 409


async def test_erasure_ends_the_household_and_scrubs_the_propagated_name(
    members: RunningService, tenant: str
) -> None:
    admin = members.auth(tenant=tenant)
    primary = await register(members, tenant, name="Bo Holm", external_id=None, name_2=None)
    await members.client.patch(
        "/v1/settings", json={"name_propagation": "first_secondary_to_primary"}, headers=admin
    )
    member = await register(members, tenant)
    await members.client.put(
        f"/v1/members/{member['id']}/household",
        json={"primary_member_id": primary["id"]},
        headers=admin,
    )
    assert (await members.client.get(f"/v1/members/{primary['id']}", headers=admin)).json()[
        "name_2"
    ] == "Anna Holm"

    await erase(members, tenant, member["id"])

    head = (await members.client.get(f"/v1/members/{primary['id']}", headers=admin)).json()
    assert head["name_2"] is None
    assert (await outbox(members, member["id"], HOUSEHOLD_UNLINKED.type)) != []
    household = (
        await members.client.get(f"/v1/members/{primary['id']}/household", headers=admin)
    ).json()
    assert household == {"primary": None, "secondaries": []}
    async with members.runtime.db.sessions() as session:
        history = (
            await session.execute(
                text("SELECT changes::text FROM member_history WHERE member_id = :id"),
                {"id": primary["id"]},
            )
        ).scalars()
        assert "Anna Holm" not in " ".join(history)


async def test_only_the_superuser_erases_and_a_reason_is_required(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)

    refused = await erase(members, tenant, member["id"], Role.MEMBER_CARD)
    no_reason = await members.client.post(
        f"/v1/members/{member['id']}/erase", json={}, headers=members.auth(tenant=tenant)
    )

    assert refused.status_code == 403
    assert no_reason.status_code == 422
    assert [e["field"] for e in no_reason.json()["errors"]] == ["reason"]
    still = (
        await members.client.get(f"/v1/members/{member['id']}", headers=members.auth(tenant=tenant))
    ).json()
    assert still["name"] == "Anna Holm"


async def test_the_promotion_job_leaves_erased_members_alone(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    soon = date.today() + timedelta(days=3)
    await members.client.post(
        f"/v1/members/{member['id']}/addresses",
        json={"address_type": "work", "address": "Havnegade 7", "primary_from": str(soon)},
        headers=members.auth(tenant=tenant),
    )
    await erase(members, tenant, member["id"])

    response = await members.client.post(
        "/v1/jobs/promote-addresses",
        params={"on": str(soon)},
        headers=members.auth(tenant=tenant),
    )

    assert response.json()["promoted"] == 0
