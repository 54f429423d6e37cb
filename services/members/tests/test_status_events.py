"""Status changes billing and payments ask for: subscription stopped, arrears stop executed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import aio_pika
from sqlalchemy import text

from federa.shared.auth import Role
from federa.shared.contracts.billing import SUBSCRIPTION_STOPPED, SubscriptionStoppedV1
from federa.shared.contracts.members import (
    AFFILIATION_ENDED,
    MEMBER_LEFT,
    MEMBER_STATUS_CHANGED,
    MEMBER_UPDATED,
    OFFICE_ENDED,
)
from federa.shared.contracts.payments import ARREARS_STOP_EXECUTED, ArrearsStopExecutedV1
from federa.shared.envelope import CONTENT_TYPE, CloudEvent, new_event
from federa.shared.testing.harness import RunningService, eventually


async def register(members: RunningService, tenant: str, **fields: Any) -> Any:
    response = await members.client.post(
        "/v1/members",
        json={"name": "Anna Holm", "confirm_duplicate": True, **fields},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def read(members: RunningService, tenant: str, member_id: str) -> Any:
    return (
        await members.client.get(f"/v1/members/{member_id}", headers=members.auth(tenant=tenant))
    ).json()


async def history(members: RunningService, tenant: str, member_id: str) -> list[Any]:
    response = await members.client.get(
        f"/v1/members/{member_id}/history", headers=members.auth(tenant=tenant)
    )
    body: list[Any] = response.json()
    return body


async def outbox(members: RunningService, event_type: str, where: str, **params: Any) -> list[Any]:
    async with members.runtime.db.sessions() as session:
        rows = await session.execute(
            text(f"SELECT payload FROM outbox WHERE event_type = :t AND {where}"),
            {"t": event_type, **params},
        )
        return [r.payload for r in rows]


def stopped(tenant: str, member_id: str, status: str | None = "passive") -> CloudEvent:
    subscription = uuid.uuid4()
    return new_event(
        SUBSCRIPTION_STOPPED,
        SubscriptionStoppedV1(
            subscription_id=subscription,
            member_id=uuid.UUID(member_id),
            product_code="MAGAZINE",
            stop_date=date(2025, 1, 1),
            reason_code="STOP",
            member_status_to_set=status,
        ),
        subject=str(subscription),
        tenant=tenant,
        aggregate_version=3,
    )


def arrears_stop(tenant: str, member_id: str, **options: Any) -> CloudEvent:
    batch = uuid.uuid4()
    return new_event(
        ARREARS_STOP_EXECUTED,
        ArrearsStopExecutedV1(arrears_stop_id=batch, member_id=uuid.UUID(member_id), **options),
        subject=str(batch),
        tenant=tenant,
        aggregate_version=1,
    )


async def test_a_stop_that_sets_a_status_changes_it_once_however_often_it_arrives(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    event = stopped(tenant, member["id"])

    outcomes = [await members.runtime.consumer.handle(event.to_json()) for _ in range(2)]

    assert outcomes == ["applied", "duplicate"]
    changed = await read(members, tenant, member["id"])
    assert changed["status"] == "passive"
    assert changed["version"] == member["version"] + 1
    entry = (await history(members, tenant, member["id"]))[-1]
    assert entry["action"] == "status_changed"
    assert entry["changed_by"] == f"billing:{event.id}"
    assert entry["changes"]["status"] == {"from": "active", "to": "passive"}
    [published] = await outbox(
        members, MEMBER_STATUS_CHANGED.type, "payload->>'subject' = :s", s=member["id"]
    )
    assert published["data"]["previous_status"] == "active"
    assert published["data"]["reason"] == "subscription MAGAZINE stopped (STOP)"


async def test_a_stop_without_a_status_to_set_changes_nothing(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)

    await members.runtime.consumer.handle(stopped(tenant, member["id"], status=None).to_json())

    assert (await read(members, tenant, member["id"]))["version"] == member["version"]


async def test_a_stop_for_an_unknown_member_or_another_tenant_is_acknowledged_and_ignored(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)

    unknown = await members.runtime.consumer.handle(stopped(tenant, str(uuid.uuid4())).to_json())
    elsewhere = await members.runtime.consumer.handle(
        stopped(f"{tenant}-other", member["id"]).to_json()
    )

    assert (unknown, elsewhere) == ("applied", "applied")
    assert (await read(members, tenant, member["id"]))["status"] == "active"


async def test_an_unknown_status_is_skipped_and_noted_in_the_member_history(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    event = stopped(tenant, member["id"], status="frozen")

    assert await members.runtime.consumer.handle(event.to_json()) == "applied"

    assert (await read(members, tenant, member["id"]))["status"] == "active"
    entry = (await history(members, tenant, member["id"]))[-1]
    assert entry["action"] == "request_skipped"
    assert entry["changes"]["status"]["to"] == "frozen"
    assert "unknown status" in entry["changes"]["status"]["skipped"]
    assert entry["changes"]["event"]["to"] == event.id
    assert (
        await outbox(
            members, MEMBER_STATUS_CHANGED.type, "payload->>'subject' = :s", s=member["id"]
        )
        == []
    )


async def test_an_arrears_stop_applies_status_leaving_category_and_ends_offices_and_affiliations(
    members: RunningService, tenant: str
) -> None:
    admin = members.auth(tenant=tenant)
    branch = (
        await members.client.post(
            "/v1/organisations",
            json={"name": "North", "organisation_type": "branch"},
            headers=admin,
        )
    ).json()
    member = await register(
        members, tenant, organisation_id=branch["id"], enrolment_date="2020-01-01"
    )
    office = await members.client.post(
        f"/v1/members/{member['id']}/offices",
        json={
            "organisation_id": branch["id"],
            "office_type": "treasurer",
            "from_date": "2021-01-01",
        },
        headers=admin,
    )
    assert office.status_code == 201, office.text
    event = arrears_stop(
        tenant,
        member["id"],
        member_status_to_set="left",
        leaving_reason="arrears",
        member_category_to_set="supporter",
        leaving_date=date(2024, 12, 31),
        stop_active_offices=True,
        stop_active_affiliations=True,
    )

    assert await members.runtime.consumer.handle(event.to_json()) == "applied"

    after = await read(members, tenant, member["id"])
    assert (after["status"], after["category"]) == ("left", "supporter")
    assert (after["leaving_reason"], after["leaving_date"]) == ("arrears", "2024-12-31")
    actions = [h["action"] for h in await history(members, tenant, member["id"])]
    assert actions[-2:] == ["updated", "left"]
    subject = "payload->>'subject' = :s"
    [left] = await outbox(members, MEMBER_LEFT.type, subject, s=member["id"])
    assert left["data"]["leaving_reason"] == "arrears"
    [category] = await outbox(members, MEMBER_UPDATED.type, subject, s=member["id"])
    assert category["data"]["changed_fields"] == ["category"]
    [ended_office] = await outbox(
        members, OFFICE_ENDED.type, "payload->'data'->>'member_id' = :m", m=member["id"]
    )
    assert ended_office["data"]["to_date"] == "2024-12-31"
    ended = await outbox(
        members, AFFILIATION_ENDED.type, "payload->'data'->>'member_id' = :m", m=member["id"]
    )
    assert {e["data"]["to_date"] for e in ended} == {"2024-12-31"}
    assert len(ended) >= 1
    offices = (
        await members.client.get(f"/v1/members/{member['id']}/offices", headers=admin)
    ).json()
    assert offices == []


async def test_an_arrears_stop_with_only_a_status_changes_only_the_status(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    event = arrears_stop(tenant, member["id"], member_status_to_set="passive")

    await members.runtime.consumer.handle(event.to_json())

    after = await read(members, tenant, member["id"])
    assert (after["status"], after["leaving_reason"], after["leaving_date"]) == (
        "passive",
        None,
        None,
    )
    assert (await history(members, tenant, member["id"]))[-1][
        "changed_by"
    ] == f"payments:{event.id}"


async def test_an_arrears_stop_with_an_unknown_leaving_reason_still_sets_the_status(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    event = arrears_stop(
        tenant,
        member["id"],
        member_status_to_set="left",
        leaving_reason="bankrupt",
        leaving_date=date.today(),
    )

    await members.runtime.consumer.handle(event.to_json())

    after = await read(members, tenant, member["id"])
    assert (after["status"], after["leaving_reason"]) == ("left", None)
    entry = (await history(members, tenant, member["id"]))[-1]
    assert entry["action"] == "request_skipped"
    assert entry["changes"]["leaving_reason"]["to"] == "bankrupt"


async def test_an_erased_member_is_left_alone(members: RunningService, tenant: str) -> None:
    member = await register(members, tenant)
    erased = await members.client.post(
        f"/v1/members/{member['id']}/erase",
        json={"reason": "request"},
        headers=members.auth(Role.SUPERUSER, tenant=tenant),
    )

    await members.runtime.consumer.handle(stopped(tenant, member["id"]).to_json())

    assert (await read(members, tenant, member["id"]))["version"] == erased.json()["version"]


async def test_a_stop_published_on_the_broker_reaches_the_member(
    members: RunningService, tenant: str
) -> None:
    member = await register(members, tenant)
    event = stopped(tenant, member["id"])

    async with await aio_pika.connect(members.settings.amqp_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(members.runtime.names.events, ensure=False)
        for _ in range(2):  # delivered twice, applied once
            await exchange.publish(
                aio_pika.Message(
                    event.to_json(),
                    content_type=CONTENT_TYPE,
                    message_id=event.id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=SUBSCRIPTION_STOPPED.routing_key,
            )

    async def status() -> str:
        return str((await read(members, tenant, member["id"]))["status"])

    await eventually(lambda: _is(status, "passive"))
    async with members.runtime.db.sessions() as session:
        claims = await session.execute(
            text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event.id}
        )
        assert claims.scalar_one() == 1
    assert (
        len(
            await outbox(
                members, MEMBER_STATUS_CHANGED.type, "payload->>'subject' = :s", s=member["id"]
            )
        )
        == 1
    )


async def _is(probe: Any, wanted: str) -> bool:
    return bool(await probe() == wanted)
