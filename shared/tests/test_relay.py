"""The outbox relay on the real database and broker: every event once, in aggregate order,
even with several relays at work on one outbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import aio_pika
import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData, text

from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.db import Database, ensure_database
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx
from federa.shared.messaging.relay import OutboxRelay
from federa.shared.messaging.tables import messaging_tables
from federa.shared.messaging.topology import BusNames, declare_shared
from federa.shared.service import build_broker
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
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
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
