"""Event throughput: members' outbox → relay → RabbitMQ → statistics' inbox.

Starts the members and statistics services in this process, in a namespace of the benchmark's
own, writes N `member.registered` events through the members outbox and times them until the
outbox is drained and the statistics inbox holds all of them. A bare aio-pika publisher with
confirms gives the broker's reference rate for the same payloads. Prints figures, asserts
nothing, and removes its databases and bus objects at the end.

    uv run python -m bench.events [--events 20000] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime

import aio_pika
import asyncpg

from federa.members.main import DEFINITION as MEMBERS
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import CONTENT_TYPE, new_event
from federa.shared.messaging.outbox import record_event_in_tx
from federa.shared.messaging.topology import BusNames, delete_namespace
from federa.shared.service import Runtime
from federa.shared.settings import Settings, asyncpg_url, plain_pg_url
from federa.shared.telemetry import configure_logging
from federa.shared.testing.harness import running_service
from federa.statistics.main import DEFINITION as STATISTICS

REFERENCE_IN_FLIGHT = 100
POLL_SECONDS = 0.02
REFERENCE_QUEUE = "aiopika-reference"
CONSUMER = STATISTICS.name


@dataclass
class Written:
    """What the writer produced: each event's envelope time and commit time, and its payload."""

    times: dict[str, datetime]
    committed: dict[str, datetime]
    payloads: list[bytes]
    started: float
    finished: float


@dataclass
class Figures:
    events: int
    batch: int
    write_s: float
    publish_s: float
    e2e_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    committed_p50_ms: float
    committed_p99_ms: float
    cpu_s: float
    projected: int
    reference_s: float

    def eps(self, seconds: float) -> float:
        return self.events / seconds if seconds > 0 else float("inf")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.events",
        description="Throughput and latency of events from the members outbox to statistics.",
    )
    parser.add_argument("--events", type=int, default=20_000, help="events to write (20000)")
    parser.add_argument("--batch", type=int, default=100, help="events per transaction (100)")
    args = parser.parse_args(argv)
    if args.events < 1 or args.batch < 1:
        parser.error("--events and --batch must be at least 1")
    return args


def settings_for(service: str, namespace: str) -> Settings:
    defaults = Settings()
    return Settings(
        service=service,
        namespace=namespace,
        pg_url=os.environ.get("FEDERA_PG_URL", defaults.pg_url),
        amqp_url=os.environ.get("FEDERA_AMQP_URL", defaults.amqp_url),
        log_json=False,
        log_level="WARNING",
    )


async def connect(settings: Settings) -> asyncpg.Connection:
    return await asyncpg.connect(plain_pg_url(settings.database_url), timeout=10)


async def write_events(members: Runtime, events: int, batch: int, tenant: str) -> Written:
    """Write `events` member.registered events into the outbox, `batch` per transaction."""
    times: dict[str, datetime] = {}
    committed: dict[str, datetime] = {}
    payloads: list[bytes] = []
    today = date.today()
    started = time.perf_counter()
    for first in range(0, events, batch):
        ids: list[str] = []
        async with members.db.transaction() as session:
            for number in range(first + 1, min(first + batch, events) + 1):
                member_id = uuid.uuid4()
                data = MemberRegisteredV1(
                    member_id=member_id,
                    member_number=number,
                    name=f"Bench Member {number}",
                    status="active",
                    enrolment_date=today,
                    registered_at=datetime.now(UTC),
                    registered_by="bench",
                )
                event = await record_event_in_tx(
                    session,
                    new_event(
                        MEMBER_REGISTERED,
                        data,
                        subject=str(member_id),
                        tenant=tenant,
                        aggregate_version=1,
                    ),
                )
                ids.append(event.id)
                times[event.id] = event.time
                payloads.append(event.to_json())
        now = datetime.now(UTC)
        committed.update(dict.fromkeys(ids, now))
    return Written(times, committed, payloads, started, time.perf_counter())


async def wait_for_delivery(
    members_db: asyncpg.Connection,
    statistics_db: asyncpg.Connection,
    events: int,
    timeout: float,
) -> tuple[float, float]:
    """Poll until the outbox has no unpublished row and the inbox holds every event.

    Returns the moments (perf_counter) each was first seen. Called once writing is done, so an
    outbox that is empty for a moment while the writer is still busy does not count.
    """
    deadline = time.perf_counter() + timeout
    published: float | None = None
    delivered: float | None = None
    pending = received = -1
    while published is None or delivered is None:
        now = time.perf_counter()
        if published is None:
            pending = await members_db.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            if pending == 0:
                published = now
        if delivered is None:
            received = await statistics_db.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_type = $2",
                CONSUMER,
                MEMBER_REGISTERED.type,
            )
            if received >= events:
                delivered = now
        if now > deadline:
            raise TimeoutError(
                f"not delivered within {timeout:.0f}s: {pending} unpublished in the outbox, "
                f"{received} of {events} in the statistics inbox"
            )
        await asyncio.sleep(POLL_SECONDS)
    return published, delivered


async def received_at(statistics_db: asyncpg.Connection) -> dict[str, datetime]:
    """When the statistics consumer claimed each event in its inbox (its transaction's start)."""
    rows = await statistics_db.fetch(
        "SELECT event_id, received_at FROM inbox WHERE consumer = $1", CONSUMER
    )
    return {row["event_id"]: row["received_at"] for row in rows}


def latencies_ms(received: dict[str, datetime], since: dict[str, datetime]) -> list[float]:
    """Per event, ascending: `received` minus `since`, in milliseconds."""
    return sorted(
        (at - since[event_id]).total_seconds() * 1000.0
        for event_id, at in received.items()
        if event_id in since
    )


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def aiopika_reference(amqp_url: str, queue_name: str, payloads: Sequence[bytes]) -> float:
    """Seconds for bare aio-pika to publish `payloads` with confirms to a quorum queue."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        try:
            exchange = channel.default_exchange
            in_flight: set[asyncio.Task[object]] = set()
            started = time.perf_counter()
            for body in payloads:
                if len(in_flight) >= REFERENCE_IN_FLIGHT:
                    done, in_flight = await asyncio.wait(
                        in_flight, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        task.result()  # a nack or a return raises here
                message = aio_pika.Message(
                    body,
                    content_type=CONTENT_TYPE,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                in_flight.add(
                    asyncio.create_task(exchange.publish(message, routing_key=queue_name))
                )
            await asyncio.gather(*in_flight)
            return time.perf_counter() - started
        finally:
            await queue.delete(if_unused=False, if_empty=False)


async def drop_namespace(pg_url: str, amqp_url: str, namespace: str) -> None:
    """Remove the benchmark's databases, queues and exchanges."""
    conn = await asyncpg.connect(plain_pg_url(asyncpg_url(pg_url)) + "/postgres", timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{namespace}\\_%"
        )
        for row in rows:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
    services = [MEMBERS.name, STATISTICS.name, REFERENCE_QUEUE]
    await delete_namespace(amqp_url, BusNames(namespace), services)


async def run_pipeline(members: Settings, statistics: Settings, events: int, batch: int) -> Figures:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    async with AsyncExitStack() as stack:
        member_service = await stack.enter_async_context(running_service(MEMBERS, members))
        await stack.enter_async_context(running_service(STATISTICS, statistics))
        members_db = await connect(members)
        stack.push_async_callback(members_db.close)
        statistics_db = await connect(statistics)
        stack.push_async_callback(statistics_db.close)

        print(f"writing {events} events in transactions of {batch} ...", flush=True)
        cpu = time.process_time()
        written = await write_events(member_service.runtime, events, batch, tenant)
        published, delivered = await wait_for_delivery(
            members_db, statistics_db, events, timeout=max(120.0, events / 20)
        )
        cpu = time.process_time() - cpu
        received = await received_at(statistics_db)
        ordered = latencies_ms(received, written.times)
        after_commit = latencies_ms(received, written.committed)
        projected = await statistics_db.fetchval(
            "SELECT count(*) FROM members WHERE tenant = $1", tenant
        )
    # The services are stopped: the reference publisher has the machine to itself.
    print("publishing the same payloads with bare aio-pika ...", flush=True)
    reference = await aiopika_reference(
        members.amqp_url, BusNames(members.namespace).queue(REFERENCE_QUEUE), written.payloads
    )
    return Figures(
        events=events,
        batch=batch,
        write_s=written.finished - written.started,
        publish_s=published - written.started,
        e2e_s=delivered - written.started,
        p50_ms=percentile(ordered, 0.50),
        p99_ms=percentile(ordered, 0.99),
        max_ms=ordered[-1] if ordered else float("nan"),
        committed_p50_ms=percentile(after_commit, 0.50),
        committed_p99_ms=percentile(after_commit, 0.99),
        cpu_s=cpu,
        projected=int(projected),
        reference_s=reference,
    )


def report(figures: Figures, members: Settings, load: float) -> None:
    f = figures
    rows = [
        ("write into the outbox", f.write_s, f.eps(f.write_s), "first write → last commit"),
        (
            "publish (relay, confirmed)",
            f.publish_s,
            f.eps(f.publish_s),
            "first write → outbox empty",
        ),
        ("end to end (statistics inbox)", f.e2e_s, f.eps(f.e2e_s), "first write → N inbox rows"),
        (
            "bare aio-pika, confirms",
            f.reference_s,
            f.eps(f.reference_s),
            f"{REFERENCE_IN_FLIGHT} in flight, quorum queue",
        ),
    ]
    print()
    print(
        f"events {f.events}, {f.batch} per transaction; relay batch {members.relay_batch_size}, "
        f"consumer prefetch {members.consumer_prefetch}; python {platform.python_version()}, "
        f"{os.cpu_count()} cpus, load average {load:.2f} at the start"
    )
    print(f"{'stage':<32}{'seconds':>10}{'events/s':>12}  measured as")
    for name, seconds, eps, how in rows:
        print(f"{name:<32}{seconds:>10.2f}{eps:>12.0f}  {how}")
    print(
        f"end-to-end latency (envelope time → inbox received_at): p50 {f.p50_ms:.0f} ms, "
        f"p99 {f.p99_ms:.0f} ms, max {f.max_ms:.0f} ms"
    )
    print(
        f"  of which after the commit (commit → inbox received_at): "
        f"p50 {f.committed_p50_ms:.0f} ms, p99 {f.committed_p99_ms:.0f} ms"
    )
    print(
        f"this process (writer, relay and consumer on one event loop) used {f.cpu_s:.1f} s of "
        f"CPU in {f.e2e_s:.1f} s ({100 * f.cpu_s / f.e2e_s:.0f}% of one core)"
    )
    if f.projected != f.events:
        print(f"note: statistics projected {f.projected} members for the tenant, not {f.events}")
    print(
        f"RESULT write_eps={f.eps(f.write_s):.0f} publish_eps={f.eps(f.publish_s):.0f} "
        f"e2e_eps={f.eps(f.e2e_s):.0f} e2e_p50_ms={f.p50_ms:.1f} e2e_p99_ms={f.p99_ms:.1f} "
        f"aiopika_confirmed_eps={f.eps(f.reference_s):.0f}"
    )


async def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    namespace = f"bench{uuid.uuid4().hex[:10]}"
    members = settings_for(MEMBERS.name, namespace)
    statistics = settings_for(STATISTICS.name, namespace)
    configure_logging(members)
    load = os.getloadavg()[0]
    print(f"namespace {namespace}", flush=True)
    try:
        figures = await run_pipeline(members, statistics, args.events, args.batch)
    finally:
        await drop_namespace(members.pg_url, members.amqp_url, namespace)
    report(figures, members, load)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        logging.getLogger(__name__).warning("interrupted; the namespace was removed")
        sys.exit(130)
