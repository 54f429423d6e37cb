"""Alternative addresses and the job that makes them primary on their date."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from federa.members.alternative_addresses import promote_due_addresses
from federa.members.cli import app as cli
from federa.shared.auth import Role
from federa.shared.contracts.members import (
    ALTERNATIVE_ADDRESS_ADDED,
    ALTERNATIVE_ADDRESS_REMOVED,
    MEMBER_ADDRESS_CHANGED,
)
from federa.shared.testing.harness import RunningService

SUMMER = {
    "address_type": "holiday",
    "address": "Strandvejen 4",
    "postcode": "3100",
    "city": "Hornbæk",
}


def later(days: int) -> date:
    return date.today() + timedelta(days=days)


async def register(members: RunningService, tenant: str, name: str, **fields: Any) -> Any:
    response = await members.client.post(
        "/v1/members",
        json={
            "name": name,
            "street_name": "Vestergade",
            "street_no": "12",
            "postcode": "8000",
            "city": "Aarhus C",
            "confirm_duplicate": True,
            **fields,
        },
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def add(members: RunningService, tenant: str, member_id: str, **body: Any) -> Any:
    return await members.client.post(
        f"/v1/members/{member_id}/addresses", json=body, headers=members.auth(tenant=tenant)
    )


async def addresses(members: RunningService, tenant: str, member_id: str) -> list[Any]:
    response = await members.client.get(
        f"/v1/members/{member_id}/addresses", headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 200, response.text
    body: list[Any] = response.json()
    return body


async def read(members: RunningService, tenant: str, member_id: str) -> Any:
    return (
        await members.client.get(f"/v1/members/{member_id}", headers=members.auth(tenant=tenant))
    ).json()


async def address_events(members: RunningService, member_id: str) -> list[Any]:
    async with members.runtime.db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT payload FROM outbox WHERE payload->>'subject' = :s AND event_type = :t "
                "ORDER BY (payload->>'aggregateversion')::int"
            ),
            {"s": member_id, "t": MEMBER_ADDRESS_CHANGED.type},
        )
        return [r.payload for r in rows]


async def test_an_alternative_address_is_added_listed_and_removed(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant, "Anna Holm")

    created = await add(
        members,
        tenant,
        member["id"],
        address_type="work",
        street_name="Havnegade",
        street_no="7",
        floor="2",
        floor_side="th",
        postcode="8000",
        email="Anna@Work.example",
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["address"] == "Havnegade 7, 2. th."
    assert body["country_code"] == "DK"
    assert body["email"] == "anna@work.example"
    assert body["promoted_at"] is None
    assert [a["id"] for a in await addresses(members, tenant, member["id"])] == [body["id"]]
    removed = await members.client.delete(
        f"/v1/members/{member['id']}/addresses/{body['id']}", headers=members.auth(tenant=tenant)
    )
    assert removed.status_code == 204
    assert await addresses(members, tenant, member["id"]) == []
    assert (await read(members, tenant, member["id"]))["address"] == "Vestergade 12"


async def test_bad_alternative_addresses_are_422_problems_naming_the_field(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant, "Anna Holm")
    for body, field in [
        ({**SUMMER, "address_type": "castle"}, "address_type"),
        ({"address_type": "work"}, "address"),
        ({**SUMMER, "postcode": "!!"}, "postcode"),
        ({**SUMMER, "primary_from": "2024-02-30"}, "primary_from"),
        ({**SUMMER, "colour": "blue"}, "colour"),
    ]:
        response = await add(members, tenant, member["id"], **body)
        assert response.status_code == 422, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]]
    assert await addresses(members, tenant, member["id"]) == []


async def test_the_job_promotes_a_due_address_once_and_keeps_the_old_one(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant, "Anna Holm", municipality_code="751")
    alternative = (
        await add(members, tenant, member["id"], **SUMMER, primary_from=str(later(10)))
    ).json()

    early = await promote_due_addresses(members.runtime.db, later(9), tenant)
    assert early.promoted == 0
    run = await promote_due_addresses(members.runtime.db, later(10), tenant)

    assert (run.members, run.promoted, run.failed) == (1, 1, [])
    moved = await read(members, tenant, member["id"])
    assert (moved["address"], moved["postcode"], moved["city"]) == (
        "Strandvejen 4",
        "3100",
        "Hornbæk",
    )
    assert moved["street_name"] is None
    assert moved["municipality_code"] is None
    [event] = await address_events(members, member["id"])
    assert event["data"]["propagated_from"] == alternative["id"]
    assert event["data"]["effective_date"] == str(later(10))
    assert event["aggregateversion"] == moved["version"]
    listed = {a["address"]: a for a in await addresses(members, tenant, member["id"])}
    assert listed["Strandvejen 4"]["promoted_at"] is not None
    assert listed["Vestergade 12"]["address_type"] == "home"
    assert listed["Vestergade 12"]["primary_from"] is None
    assert listed["Vestergade 12"]["postcode"] == "8000"

    again = await promote_due_addresses(members.runtime.db, later(30), tenant)
    assert again.promoted == 0
    assert len(await address_events(members, member["id"])) == 1


async def test_a_promoted_address_cannot_be_removed(members: RunningService, tenant: str) -> None:
    member = await register(members, tenant, "Anna Holm")
    alternative = (
        await add(members, tenant, member["id"], **SUMMER, primary_from=str(later(1)))
    ).json()
    await promote_due_addresses(members.runtime.db, later(1), tenant)

    response = await members.client.delete(
        f"/v1/members/{member['id']}/addresses/{alternative['id']}",
        headers=members.auth(tenant=tenant),
    )

    assert response.status_code == 409
    assert response.json()["type"].endswith("/address-promoted")


async def test_an_address_dated_today_becomes_the_address_at_once(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant, "Anna Holm")

    created = await add(members, tenant, member["id"], **SUMMER, primary_from=str(date.today()))

    assert created.json()["promoted_at"] is not None
    assert (await read(members, tenant, member["id"]))["address"] == "Strandvejen 4"


async def test_several_due_addresses_are_applied_in_date_order(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant, "Anna Holm")
    await add(members, tenant, member["id"], **SUMMER, primary_from=str(later(5)))
    await add(
        members,
        tenant,
        member["id"],
        address_type="home",
        address="Bakken 1",
        postcode="2930",
        primary_from=str(later(3)),
    )

    run = await promote_due_addresses(members.runtime.db, later(6), tenant)

    assert run.promoted == 2
    assert (await read(members, tenant, member["id"]))["address"] == "Strandvejen 4"
    effective = [e["data"]["effective_date"] for e in await address_events(members, member["id"])]
    assert effective == [str(later(3)), str(later(5))]


async def test_a_promoted_address_reaches_the_household_secondaries(
    members: RunningService, tenant: str
) -> None:
    primary = await register(members, tenant, "Anna Holm")
    secondary = await register(members, tenant, "Bo Holm")
    await members.client.put(
        f"/v1/members/{secondary['id']}/household",
        json={"primary_member_id": primary["id"]},
        headers=members.auth(tenant=tenant),
    )
    await add(members, tenant, primary["id"], **SUMMER, primary_from=str(later(2)))

    await promote_due_addresses(members.runtime.db, later(2), tenant)

    assert (await read(members, tenant, secondary["id"]))["address"] == "Strandvejen 4"
    [event] = await address_events(members, secondary["id"])
    assert event["data"]["propagated_from"] == primary["id"]


async def test_two_runs_at_once_promote_each_address_exactly_once(
    members: RunningService, tenant: str
) -> None:
    ids = []
    for i in range(12):
        member = await register(members, tenant, f"Member {i}")
        await add(members, tenant, member["id"], **SUMMER, primary_from=str(later(4)))
        ids.append(member["id"])

    runs = await asyncio.gather(
        *(
            promote_due_addresses(members.runtime.db, later(4), tenant, batch_size=3)
            for _ in range(3)
        )
    )

    assert sum(r.promoted for r in runs) == 12
    for member_id in ids:
        assert len(await address_events(members, member_id)) == 1


async def test_the_job_touches_only_the_tenant_it_is_run_for(
    members: RunningService, tenant: str
) -> None:
    other_tenant = f"{tenant}-other"
    other = await register(members, other_tenant, "Eva Berg")
    await add(members, other_tenant, other["id"], **SUMMER, primary_from=str(later(1)))

    response = await members.client.post(
        "/v1/jobs/promote-addresses",
        params={"on": str(later(1))},
        headers=members.auth(tenant=tenant),
    )

    assert response.status_code == 200, response.text
    assert response.json()["promoted"] == 0
    assert (await read(members, other_tenant, other["id"]))["address"] == "Vestergade 12"
    own = await members.client.post(
        "/v1/jobs/promote-addresses",
        params={"on": str(later(1))},
        headers=members.auth(tenant=other_tenant),
    )
    assert own.json() == {"on": str(later(1)), "members": 1, "promoted": 1, "failed": []}


async def test_only_the_superuser_runs_the_job(members: RunningService, tenant: str) -> None:
    response = await members.client.post(
        "/v1/jobs/promote-addresses", headers=members.auth(Role.MEMBER_CARD, tenant=tenant)
    )
    assert response.status_code == 403


async def test_the_command_line_runs_the_job(members: RunningService, tenant: str) -> None:
    member = await register(members, tenant, "Anna Holm")
    await add(members, tenant, member["id"], **SUMMER, primary_from=str(later(7)))
    env = {
        "FEDERA_NAMESPACE": members.settings.namespace,
        "FEDERA_PG_URL": members.settings.pg_url,
    }
    arguments = ["promote-addresses", "--on", str(later(7)), "--tenant", tenant]

    result = await asyncio.to_thread(CliRunner().invoke, cli, arguments, env=env)

    assert result.exit_code == 0, result.output
    assert "promoted 1 addresses of 1 members" in result.output
    assert (await read(members, tenant, member["id"]))["address"] == "Strandvejen 4"


async def test_the_service_process_runs_the_job_nightly(members: RunningService) -> None:
    # Started by the jobs router's lifespan, which FastAPI nests inside the service's own.
    assert "promote-addresses" in {task.get_name() for task in asyncio.all_tasks()}


async def test_each_address_gets_a_number_never_reused_and_billing_hears_of_it(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant, "Bo Lund")
    first = (await add(members, tenant, member["id"], **SUMMER)).json()
    second = (await add(members, tenant, member["id"], **{**SUMMER, "address": "Bakken 2"})).json()
    removed = await members.client.delete(
        f"/v1/members/{member['id']}/addresses/{second['id']}",
        headers=members.auth(tenant=tenant),
    )
    assert removed.status_code == 204
    third = (await add(members, tenant, member["id"], **{**SUMMER, "address": "Toften 9"})).json()

    # A subscription delivering to number 2 must not follow a new address silently.
    assert [first["address_no"], second["address_no"], third["address_no"]] == [1, 2, 3]

    async with members.runtime.db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT event_type, payload FROM outbox WHERE payload->>'subject' = ANY(:ids) "
                "ORDER BY id"
            ),
            {"ids": [first["id"], second["id"], third["id"]]},
        )
        published = [(r.event_type, r.payload) for r in rows]
    assert [
        (t, p["subject"], p["aggregateversion"], p["data"]["address_no"]) for t, p in published
    ] == [
        (ALTERNATIVE_ADDRESS_ADDED.type, first["id"], 1, 1),
        (ALTERNATIVE_ADDRESS_ADDED.type, second["id"], 1, 2),
        (ALTERNATIVE_ADDRESS_REMOVED.type, second["id"], 2, 2),
        (ALTERNATIVE_ADDRESS_ADDED.type, third["id"], 1, 3),
    ]
    assert published[0][1]["data"]["address"] == "Strandvejen 4"
