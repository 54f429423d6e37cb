"""The outbox relay alone: N pending `document.issued`-sized rows drained by one relay, against
bare aio-pika publishing the same payloads with confirms (100 in flight) to the same exchange.
Prints wall and CPU per event; asserts nothing; removes its database and bus objects.

    uv run python -m bench.relay [--events 10000] [--batch 200] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
from sqlalchemy import MetaData

from federa.shared.db import Database, drop_database, ensure_database
from federa.shared.messaging.relay import OutboxRelay
from federa.shared.messaging.tables import messaging_tables
from federa.shared.messaging.topology import BusNames, declare_shared, delete_namespace
from federa.shared.service import build_relay_broker
from federa.shared.settings import Settings
from federa.shared.telemetry import tracer_provider


def payload(i: int) -> str:
    line = {
        "line_no": 1,
        "kind": "charge",
        "subscription_id": str(uuid.uuid4()),
        "subscription_no": i,
        "member_id": str(uuid.uuid4()),
        "product_code": "MEDLEM",
        "price_code": "ORD",
        "description": "Ordinary membership",
        "quantity": 1,
        "unit_price": 45000,
        "amount": 45000,
        "vat_rate": "0",
        "vat_amount": 0,
        "posting_type": "DUES",
        "revenue_account": "3000",
        "dimension_1": None,
        "dimension_2": None,
        "period_from": "2025-01-01",
        "period_to": "2025-12-31",
        "branch_organisation_id": str(uuid.uuid4()),
        "branch_share": 9000,
    }
    event_id = str(uuid.uuid4())
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "/federa/billing",
            "type": "federa.billing.document.issued.v1",
            "subject": str(uuid.uuid4()),
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "tenant": "bench",
            "aggregateversion": 1,
            "correlationid": event_id,
            "data": {
                "document_id": str(uuid.uuid4()),
                "kind": "invoice",
                "document_no": str(i),
                "payer_account_id": str(uuid.uuid4()),
                "payer_number": i,
                "posting_date": "2025-06-15",
                "due_date": "2025-06-29",
                "currency": "DKK",
                "total_amount": 45000,
                "vat_amount": 0,
                "payment_reference": "1234567890",
                "lines": [line, {**line, "line_no": 2, "kind": "postage"}],
            },
        }
    )


async def main(args: argparse.Namespace) -> None:
    settings = Settings().model_copy(
        update={"service": "relaybench", "namespace": f"relay{uuid.uuid4().hex[:8]}"}
    )
    names = BusNames(settings.namespace)
    await ensure_database(settings)
    db = Database(settings.database_url)
    metadata = MetaData()
    messaging_tables(metadata)
    broker = build_relay_broker(settings)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await broker.connect()
        await declare_shared(broker, names)
        rows = [payload(i) for i in range(args.events)]
        traceparent = json.dumps(
            {"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"}
        )

        async def fill() -> None:
            async with db.engine.begin() as conn:
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                await driver.copy_records_to_table(
                    "outbox",
                    columns=[
                        "event_id",
                        "event_type",
                        "exchange",
                        "routing_key",
                        "aggregate_key",
                        "payload",
                        "headers",
                    ],
                    records=[
                        (
                            str(uuid.uuid4()),
                            "federa.billing.document.issued.v1",
                            "events",
                            "billing.document.issued",
                            f"/federa/billing|{uuid.uuid4()}",
                            p,
                            traceparent,
                        )
                        for p in rows
                    ],
                )

        await fill()
        relay = OutboxRelay(
            db.engine,
            broker,
            names,
            batch_size=args.batch,
            tracer_provider=tracer_provider(settings),
        )
        profile = cProfile.Profile() if args.profile else None
        wall, cpu = time.monotonic(), time.process_time()
        if profile:
            profile.enable()
        sent = 0
        while n := await relay.relay_once():
            sent += n
        if profile:
            profile.disable()
        relay_wall, relay_cpu = time.monotonic() - wall, time.process_time() - cpu

        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(names.exchange("events"))
            semaphore = asyncio.Semaphore(100)

            async def publish(body: str) -> None:
                async with semaphore:
                    await exchange.publish(
                        aio_pika.Message(
                            body.encode(),
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            message_id=str(uuid.uuid4()),
                        ),
                        routing_key="billing.document.issued",
                    )

            wall, cpu = time.monotonic(), time.process_time()
            await asyncio.gather(*(publish(p) for p in rows))
            bare_wall, bare_cpu = time.monotonic() - wall, time.process_time() - cpu
        print(
            f"relay: {sent} events in {relay_wall:.2f} s = {sent / relay_wall:.0f}/s, "
            f"{1e6 * relay_cpu / sent:.0f} us CPU/event (batch {args.batch})"
        )
        print(
            f"bare : {len(rows)} events in {bare_wall:.2f} s = {len(rows) / bare_wall:.0f}/s, "
            f"{1e6 * bare_cpu / len(rows):.0f} us CPU/event"
        )
        print(
            f"RESULT relay_eps={sent / relay_wall:.0f} relay_cpu_us={1e6 * relay_cpu / sent:.0f} "
            f"bare_eps={len(rows) / bare_wall:.0f} bare_cpu_us={1e6 * bare_cpu / len(rows):.0f}"
        )
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    finally:
        await broker.stop()
        await db.dispose()
        await drop_database(settings)
        await delete_namespace(settings.amqp_url, names, [])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    asyncio.run(main(parser.parse_args()))
