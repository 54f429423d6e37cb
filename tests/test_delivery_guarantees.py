"""Nothing lost, nothing applied twice: the outbox, the inbox, dead letters and replay,
on the real broker and database."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import aio_pika
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.main import DEFINITION as MEMBERS
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import CONTENT_TYPE, CloudEvent
from federa.shared.messaging.consumer import on
from federa.shared.messaging.deadletters import (
    DeadLetter,
    list_dead_letters,
    replay_dead_letters,
)
from federa.shared.messaging.relay import OutboxRelay
from federa.shared.testing.harness import RunningService, eventually
from federa.shared.testing.plugin import SettingsFactory
from federa.statistics.main import DEFINITION as STATISTICS
from tests.conftest import Platform, start_platform


async def register(
    members: RunningService, tenant: str, name: str = "Dan Holm"
) -> dict[str, object]:
    response = await members.client.post(
        "/v1/members", json={"name": name}, headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def member_count(statistics: RunningService, tenant: str) -> int:
    response = await statistics.client.get("/v1/overview", headers=statistics.auth(tenant=tenant))
    return int(response.json()["members"])


async def outbox_rows(service: RunningService, where: str = "true") -> list[dict[str, object]]:
    async with service.runtime.db.sessions() as session:
        result = await session.execute(
            text(
                f"SELECT event_id, payload::text AS payload, published_at FROM outbox WHERE {where}"
            )
        )
        return [dict(r) for r in result.mappings()]


def consumed(service: RunningService, event_type: str, outcome: str) -> float:
    value = service.runtime.registry.get_sample_value(
        "federa_events_consumed_total", {"event_type": event_type, "outcome": outcome}
    )
    return value or 0.0


async def publish_raw(
    service: RunningService, body: bytes, routing_key: str, message_id: str
) -> None:
    async with await aio_pika.connect(service.settings.amqp_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(service.runtime.names.events, ensure=False)
        await exchange.publish(
            aio_pika.Message(
                body,
                content_type=CONTENT_TYPE,
                message_id=message_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )


async def test_the_same_event_delivered_twice_is_applied_once(
    platform: Platform, tenant: str
) -> None:
    members, statistics = platform["members"], platform["statistics"]
    member = await register(members, tenant)
    await eventually(lambda: member_count(statistics, tenant))
    [row] = await outbox_rows(members, f"payload->>'subject' = '{member['id']}'")
    event = CloudEvent.from_json(str(row["payload"]))
    duplicates_before = consumed(statistics, MEMBER_REGISTERED.type, "duplicate")

    for _ in range(2):
        await publish_raw(members, str(row["payload"]).encode(), event.routing_key, event.id)

    await eventually(
        lambda: consumed(statistics, MEMBER_REGISTERED.type, "duplicate") >= duplicates_before + 2
    )
    assert await member_count(statistics, tenant) == 1
    async with statistics.runtime.db.sessions() as session:
        claims = await session.execute(
            text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event.id}
        )
        assert claims.scalar_one() == 1


@pytest.fixture
async def members_without_relay(fresh_namespace: SettingsFactory) -> AsyncIterator[Platform]:
    """Members whose relay is down, as if killed right after the commit; statistics listening."""
    async with AsyncExitStack() as stack:
        yield await start_platform(
            stack,
            fresh_namespace,
            (MEMBERS, STATISTICS),
            members={"relay_enabled": False},
        )


async def test_an_event_committed_while_the_relay_is_down_is_published_on_restart(
    members_without_relay: Platform, tenant: str
) -> None:
    members, statistics = members_without_relay["members"], members_without_relay["statistics"]
    await register(members, tenant)
    [pending] = await outbox_rows(members, "published_at IS NULL")
    assert await member_count(statistics, tenant) == 0

    runtime = members.runtime
    restarted = OutboxRelay(runtime.db.engine, runtime.broker, runtime.names)
    assert await restarted.relay_once() == 1

    assert await eventually(lambda: member_count(statistics, tenant)) == 1
    assert await outbox_rows(members, "published_at IS NULL") == []

    # Killed after the broker confirmed but before the row was marked: it goes out again,
    # and the consumer's inbox absorbs the second copy.
    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE outbox SET published_at = NULL WHERE event_id = :id"),
            {"id": pending["event_id"]},
        )
    assert await restarted.relay_once() == 1
    await eventually(lambda: consumed(statistics, MEMBER_REGISTERED.type, "duplicate") >= 1)
    assert await member_count(statistics, tenant) == 1


@dataclasses.dataclass
class Switch:
    failing: bool = True
    calls: int = 0


@pytest.fixture
async def failing_consumer(
    fresh_namespace: SettingsFactory,
) -> AsyncIterator[tuple[Platform, Switch]]:
    """Members, and a probe service whose handler fails until it is switched."""
    switch = Switch()

    async def fragile(session: AsyncSession, event: CloudEvent, data: MemberRegisteredV1) -> None:
        switch.calls += 1
        if switch.failing:
            raise RuntimeError("the probe's handler fails on purpose")
        await session.execute(
            text(
                "INSERT INTO members (member_id, tenant, status, enrolment_date, registered_at,"
                " version) VALUES (:id, :t, :s, :d, :r, :v)"
            ),
            {
                "id": data.member_id,
                "t": event.tenant,
                "s": data.status,
                "d": data.enrolment_date,
                "r": data.registered_at,
                "v": event.aggregateversion,
            },
        )

    probe = dataclasses.replace(
        STATISTICS, name="probe", subscriptions=[on(MEMBER_REGISTERED, fragile)]
    )
    async with AsyncExitStack() as stack:
        yield await start_platform(stack, fresh_namespace, (MEMBERS, probe)), switch


async def test_a_message_that_always_fails_is_dead_lettered_and_replay_puts_it_back(
    failing_consumer: tuple[Platform, Switch], tenant: str
) -> None:
    platform, switch = failing_consumer
    members, probe = platform["members"], platform["probe"]
    member = await register(members, tenant)
    settings = probe.settings

    async def dead_letters() -> list[DeadLetter]:
        return list(await list_dead_letters(settings.amqp_url, probe.runtime.names, "probe"))

    [letter] = await eventually(dead_letters, timeout=20)
    assert letter.event_type == MEMBER_REGISTERED.type
    assert letter.reason == "delivery_limit"
    assert letter.origin_queue == probe.runtime.names.queue("probe")
    # The first delivery plus `delivery_limit` redeliveries, then no more.
    assert switch.calls == settings.delivery_limit + 1
    assert json.loads(letter.body)["subject"] == member["id"]

    switch.failing = False
    replayed = await replay_dead_letters(settings.amqp_url, probe.runtime.names, "probe")
    assert replayed == [letter.message_id]

    async def stored() -> int:
        async with probe.runtime.db.sessions() as session:
            result = await session.execute(text("SELECT count(*) FROM members"))
            return int(result.scalar_one())

    assert await eventually(stored) == 1
    assert await dead_letters() == []


async def test_a_poison_message_goes_to_the_dead_letter_queue_at_once(
    failing_consumer: tuple[Platform, Switch],
) -> None:
    platform, switch = failing_consumer
    probe = platform["probe"]
    await publish_raw(probe, b"{not json", MEMBER_REGISTERED.routing_key, "poison-1")

    async def dead_letters() -> list[DeadLetter]:
        return list(await list_dead_letters(probe.settings.amqp_url, probe.runtime.names, "probe"))

    [letter] = await eventually(dead_letters, timeout=10)
    assert letter.message_id == "poison-1"
    assert letter.reason == "rejected"
    assert switch.calls == 0
