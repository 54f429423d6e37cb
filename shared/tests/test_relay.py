"""The outbox relay on the real database and broker: every event once, in aggregate order,
even with several relays at work on one outbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import aio_pika
import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData, text

from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.db import Database, ensure_database
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx
from federa.shared.messaging.relay import LOCK_BUCKETS, OutboxRelay, lock_bucket
from federa.shared.messaging.tables import messaging_tables
from federa.shared.messaging.topology import BusNames, declare_shared
from federa.shared.service import build_broker, build_relay_broker
from federa.shared.settings import Settings
from federa.shared.testing.plugin import SettingsFactory

AGGREGATES = 50
VERSIONS = 12


@pytest.fixture
async def outbox_db(fresh_namespace: SettingsFactory) -> AsyncIterator[tuple[Settings, Database]]:
    settings = fresh_namespace("relaytest")
    await ensure_database(settings)
    db = Database(settings.database_url)
    metadata = MetaData()
    messaging_tables(metadata)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield settings, db
    await db.dispose()


def _data(member_id: uuid.UUID) -> MemberRegisteredV1:
    return MemberRegisteredV1(
        member_id=member_id,
        member_number=1,
        name="N",
        status="active",
        enrolment_date=date(2026, 1, 1),
        registered_at=datetime.now(UTC),
        registered_by="t",
    )


async def test_two_relays_publish_every_event_once_in_aggregate_order(
    outbox_db: tuple[Settings, Database],
) -> None:
    settings, db = outbox_db
    names = BusNames(settings.namespace)
    aggregates = [uuid.uuid4() for _ in range(AGGREGATES)]
    # Versions of each aggregate are committed in order, interleaved across aggregates.
    for version in range(1, VERSIONS + 1):
        async with db.transaction() as session:
            for member_id in aggregates:
                await record_event_in_tx(
                    session,
                    new_event(
                        MEMBER_REGISTERED,
                        _data(member_id),
                        subject=str(member_id),
                        tenant="t",
                        aggregate_version=version,
                    ),
                )

    brokers = [build_broker(settings, CollectorRegistry(), TracerProvider()) for _ in range(2)]
    for broker in brokers:
        await broker.connect()
    await declare_shared(brokers[0], names)
    received: dict[str, list[int]] = defaultdict(list)
    total = AGGREGATES * VERSIONS
    async with await aio_pika.connect(settings.amqp_url) as connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1000)
        exchange = await channel.get_exchange(names.events)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, MEMBER_REGISTERED.routing_key)

        relays = [OutboxRelay(db.engine, b, names, batch_size=25) for b in brokers]

        async def pending() -> int:
            async with db.sessions() as session:
                result = await session.execute(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                )
                return int(result.scalar_one())

        async def drain(relay: OutboxRelay) -> None:
            # A relay that finds every pending aggregate locked by the other gets nothing
            # this pass; it keeps going until the outbox is empty.
            while await relay.relay_once() or await pending():
                continue

        try:
            await asyncio.gather(*(drain(r) for r in relays))
        finally:
            for broker in brokers:
                await broker.stop()
        assert sum(r.stats.published for r in relays) == total
        assert all(r.stats.published > 0 for r in relays), "both relays took a share"

        async with queue.iterator(timeout=10) as messages:
            async for message in messages:
                await message.ack()
                body = json.loads(message.body)
                received[body["subject"]].append(body["aggregateversion"])
                if sum(len(v) for v in received.values()) == total:
                    break
    assert sorted(received) == sorted(str(a) for a in aggregates)
    for versions in received.values():
        assert versions == list(range(1, VERSIONS + 1))


async def _write(db: Database, rows: list[tuple[str, int, str]]) -> None:
    """Outbox rows (aggregate, version, routing key) committed in the given order, as raw rows
    so a test can pick the routing key of each."""
    async with db.transaction() as session:
        for aggregate, version, routing_key in rows:
            body = {"subject": aggregate, "aggregateversion": version}
            await session.execute(
                text(
                    "INSERT INTO outbox (event_id, event_type, exchange, routing_key,"
                    " aggregate_key, payload) VALUES (:id, 'federa.test.thing.done.v1', 'events',"
                    " :key, :aggregate, CAST(:payload AS jsonb))"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "key": routing_key,
                    "aggregate": f"test|{aggregate}",
                    "payload": json.dumps(body),
                },
            )


async def _pending(db: Database) -> list[tuple[str, int]]:
    async with db.sessions() as session:
        result = await session.execute(
            text(
                "SELECT payload->>'subject', (payload->>'aggregateversion')::int FROM outbox"
                " WHERE published_at IS NULL ORDER BY id"
            )
        )
        return [(subject, version) for subject, version in result.all()]


@pytest.fixture
async def bus(
    outbox_db: tuple[Settings, Database],
) -> AsyncIterator[tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames]]:
    """A relay on its own broker (as services build it), and a channel to watch the bus."""
    settings, db = outbox_db
    names = BusNames(settings.namespace)
    broker = build_relay_broker(settings)
    await broker.connect()
    await declare_shared(broker, names)
    relay = OutboxRelay(db.engine, broker, names, batch_size=5000, tracer_provider=TracerProvider())
    try:
        async with await aio_pika.connect(settings.amqp_url) as connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=1000)
            yield db, relay, channel, names
    finally:
        await broker.stop()


async def _watch(
    channel: aio_pika.abc.AbstractChannel, names: BusNames, routing_key: str
) -> aio_pika.abc.AbstractQueue:
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(await channel.get_exchange(names.events), routing_key)
    return queue


async def _received(queue: aio_pika.abc.AbstractQueue, count: int) -> list[tuple[str, int]]:
    got: list[tuple[str, int]] = []
    async with queue.iterator(timeout=10) as messages:
        async for message in messages:
            await message.ack()
            body = json.loads(message.body)
            got.append((body["subject"], body["aggregateversion"]))
            if len(got) == count:
                break
    return got


async def test_one_pass_publishes_the_whole_batch_at_once_in_aggregate_order(
    bus: tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames],
) -> None:
    db, relay, channel, names = bus
    queue = await _watch(channel, names, "test.thing.done")
    aggregates = [f"a{n}" for n in range(300)]
    for version in range(1, 4):
        await _write(db, [(a, version, "test.thing.done") for a in aggregates])

    # Every row goes out in this one pass: 300 aggregates' confirms in flight together, each
    # aggregate's three one after another.
    assert await relay.relay_once() == 900
    assert await _pending(db) == []
    received = await _received(queue, 900)
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    for subject, version in received:
        by_aggregate[subject].append(version)
    assert by_aggregate == {a: [1, 2, 3] for a in aggregates}


async def test_a_refused_publish_leaves_its_rows_and_their_aggregates_later_rows_for_the_next_pass(
    bus: tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames],
) -> None:
    db, relay, channel, names = bus
    # A queue that is full and refuses more: the broker answers its publish with a nack.
    full = await channel.declare_queue(
        exclusive=True,
        arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    await full.bind(await channel.get_exchange(names.events), "test.thing.refused")
    await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=full.name)
    watched = await _watch(channel, names, "test.thing.done")
    await _write(
        db,
        [
            ("refused", 1, "test.thing.refused"),
            ("refused", 2, "test.thing.done"),
            ("other", 1, "test.thing.done"),
        ],
    )

    assert await relay.relay_once() == 1
    assert await _received(watched, 1) == [("other", 1)]
    # Not confirmed, so not marked: the refused event and the one after it in its aggregate
    # wait for the next pass, with the error on record.
    assert await _pending(db) == [("refused", 1), ("refused", 2)]
    async with db.sessions() as session:
        attempts = await session.execute(
            text("SELECT attempts, last_error FROM outbox WHERE published_at IS NULL ORDER BY id")
        )
        rows = attempts.all()
    assert [a for a, _ in rows] == [1, 1]
    assert all(error for _, error in rows)

    await full.purge()
    await full.unbind(await channel.get_exchange(names.events), "test.thing.refused")
    await watched.bind(await channel.get_exchange(names.events), "test.thing.refused")
    assert await relay.relay_once() == 2
    assert await _received(watched, 2) == [("refused", 1), ("refused", 2)]
    assert await _pending(db) == []


async def test_a_batch_the_broker_does_not_confirm_in_time_stays_pending_for_the_next_pass(
    bus: tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames],
) -> None:
    db, relay, _, _ = bus
    configured = relay._publish_timeout
    await _write(db, [(f"t{n}", 1, "test.thing.done") for n in range(20)])

    # No broker confirms 20 messages in a microsecond (a hung broker, made quick): the pass
    # gives the whole batch back.
    relay._publish_timeout = 1e-6
    assert await relay.relay_once() == 0
    assert len(await _pending(db)) == 20
    async with db.sessions() as session:
        errors = (
            await session.execute(text("SELECT DISTINCT attempts, last_error FROM outbox"))
        ).all()
    assert errors == [(1, "TimeoutError: broker did not confirm")]

    relay._publish_timeout = configured
    assert await relay.relay_once() == 20
    assert await _pending(db) == []


async def test_an_aggregate_waits_while_another_relay_holds_its_older_event(
    bus: tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames],
) -> None:
    db, relay, channel, names = bus
    queue = await _watch(channel, names, "test.thing.done")
    await _write(db, [("held", 1, "test.thing.done"), ("free", 1, "test.thing.done")])
    await _write(db, [("held", 2, "test.thing.done")])

    async with db.sessions() as other:
        # Another relay's pass: it claimed `held` v1 and has not committed yet.
        await other.execute(
            text(
                "SELECT id FROM outbox WHERE payload->>'subject' = 'held'"
                " AND (payload->>'aggregateversion')::int = 1 FOR UPDATE"
            )
        )
        assert await relay.relay_once() == 1
        assert await _received(queue, 1) == [("free", 1)]
        await other.rollback()  # that pass failed: its row is pending again

    assert await relay.relay_once() == 2
    assert await _received(queue, 2) == [("held", 1), ("held", 2)]


async def test_a_pass_locks_buckets_of_aggregates_not_each_aggregate(
    bus: tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, relay, channel, names = bus
    queue = await _watch(channel, names, "test.thing.done")
    aggregates = [f"a{n}" for n in range(3 * LOCK_BUCKETS)]
    await _write(db, [(a, 1, "test.thing.done") for a in aggregates])
    held: list[int] = []

    async def advisory_locks() -> int:
        async with db.sessions() as session:
            result = await session.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
            return int(result.scalar_one())

    publish = relay._publish_in_order

    async def publish_and_count(*args: Any) -> tuple[list[int], list[int], str]:
        if not held:
            held.append(await advisory_locks())
        return await publish(*args)

    monkeypatch.setattr(relay, "_publish_in_order", publish_and_count)
    assert await relay.relay_once() == len(aggregates)
    assert 0 < held[0] <= LOCK_BUCKETS
    assert len(await _received(queue, len(aggregates))) == len(aggregates)


async def test_an_aggregate_whose_bucket_another_relay_holds_waits_for_it(
    bus: tuple[Database, OutboxRelay, aio_pika.abc.AbstractChannel, BusNames],
) -> None:
    db, relay, channel, names = bus
    queue = await _watch(channel, names, "test.thing.done")
    await _write(db, [("busy", 1, "test.thing.done"), ("idle", 1, "test.thing.done")])
    assert lock_bucket("test|busy") != lock_bucket("test|idle")

    async with db.sessions() as other:
        await other.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('federa.outbox'), :bucket)"),
            {"bucket": lock_bucket("test|busy")},
        )
        assert await relay.relay_once() == 1
        assert await _received(queue, 1) == [("idle", 1)]
        await other.commit()

    assert await relay.relay_once() == 1
    assert await _received(queue, 1) == [("busy", 1)]
