"""Statistics at scale: projection rate and subscription-statistics latency.

Starts the statistics service in this process, in a namespace of the benchmark's own, and
feeds it a generated history through its consumer (`Consumer.handle`, as the queue hands
messages over: inbox claim, archive, projection, one transaction per event): a tree of
`--regions` regions and `--branches` branches, and for each of `--subscriptions`
subscriptions its member, start, invoice, for most a payment (received and applied), for
some a stop, a few deleted. Then it times a year's subscription statistics grouped by product
and branch, and finally rebuilds the read models from the archive. Prints figures, asserts
nothing, removes its databases and bus objects at the end.

    uv run python -m bench.statistics [--subscriptions 1000000] [--branches 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from federa.shared.envelope import CloudEvent
from federa.shared.messaging.topology import BusNames, delete_namespace
from federa.shared.settings import Settings, asyncpg_url, plain_pg_url
from federa.shared.telemetry import configure_logging
from federa.shared.testing.harness import RunningService, running_service
from federa.statistics.fixtures import History
from federa.statistics.main import DEFINITION as STATISTICS
from federa.statistics.rebuild import rebuild

CHUNK = 500
PRODUCTS = [("MEMB", None), ("MEMB", 12), ("HALF", 6), ("MAG", None), ("YOUTH", 12)]
PRICE_CODES = ["STD", "STUD", "PENS", "FAM"]
QUERY = "/v1/subscription-statistics"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--queries", type=int, default=50, help="timed statistics queries")
    parser.add_argument("--feeders", type=int, default=4, help="events handled concurrently")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def settings_for(namespace: str) -> Settings:
    defaults = Settings()
    return Settings(
        service=STATISTICS.name,
        namespace=namespace,
        pg_url=os.environ.get("FEDERA_PG_URL", defaults.pg_url),
        amqp_url=os.environ.get("FEDERA_AMQP_URL", defaults.amqp_url),
        relay_enabled=False,
        log_json=False,
        log_level="WARNING",
    )


def tree(tenant: str, regions: int, branches: int) -> list[CloudEvent]:
    h = History(tenant)
    h.organisation("federation", "federation")
    for r in range(regions):
        h.organisation(f"region-{r}", "region", "federation")
    for b in range(branches):
        h.organisation(f"branch-{b}", "branch", f"region-{b % regions}")
    return h.events


def chunks(tenant: str, count: int, branches: int, seed: int) -> Iterator[list[CloudEvent]]:
    """The history in chunks of subscriptions; each subscription's events stay in one chunk,
    in their order, and chunks are fed one after the other."""
    rng = random.Random(seed)
    for start in range(0, count, CHUNK):
        h = History(tenant)
        for i in range(start, min(start + CHUNK, count)):
            member = f"m{i}"
            h.member(
                member,
                org=f"branch-{rng.randrange(branches)}",
                gender=rng.choice(["F", "M", None]),
                birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(25_000)),
                postcode=f"{1000 + rng.randrange(8000)}",
            )
            product, months = rng.choice(PRODUCTS)
            first = date(2022, 1, 1) + timedelta(days=rng.randrange(3 * 365))
            to_date = first + timedelta(days=round(months * 30.44) - 1) if months else None
            h.start(
                f"s{i}", member, product, first, to_date=to_date, price_code=rng.choice(PRICE_CODES)
            )
            period_to = to_date or first + timedelta(days=364)
            amount = rng.randrange(10_000, 90_000)
            h.invoice(
                f"d{i}",
                [(f"s{i}", first, period_to, amount)],
                posting_date=first,
                due_date=first + timedelta(days=30),
            )
            roll = rng.random()
            if roll < 0.6:
                h.pay(f"p{i}", f"d{i}", amount, first + timedelta(days=rng.randrange(40)))
            if to_date is None and roll > 0.7:
                h.stop(
                    f"s{i}", period_to + timedelta(days=1), reason=rng.choice(["MOVED", "PRICE"])
                )
            elif roll > 0.97:
                h.delete(f"s{i}")
        yield h.events


async def feed(service: RunningService, events: list[CloudEvent], feeders: int) -> None:
    consumer = service.runtime.consumer
    bodies = [e.to_json() for e in events]
    # Each subscription's events go to one feeder, so they arrive in order as from a queue.
    lanes: list[list[bytes]] = [[] for _ in range(feeders)]
    for event, body in zip(events, bodies, strict=True):
        lanes[hash(event.subject) % feeders].append(body)

    async def lane(messages: list[bytes]) -> None:
        for body in messages:
            for attempt in range(5):
                try:
                    await consumer.handle(body)
                    break
                except DBAPIError:
                    # The queue would redeliver; here a shared server running out of lock
                    # slots under other load must not end the run.
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5 * 2**attempt)

    await asyncio.gather(*(lane(m) for m in lanes))


def percentile(ordered: Sequence[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(settings: Settings, args: argparse.Namespace) -> None:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    print(
        f"subscriptions {args.subscriptions:,}, branches {args.branches}, regions "
        f"{args.regions}; python {platform.python_version()}, {os.cpu_count()} cpus, load "
        f"average {os.getloadavg()[0]:.2f} at the start",
        flush=True,
    )
    async with running_service(STATISTICS, settings) as service:
        await feed(service, tree(tenant, args.regions, args.branches), 1)
        events = 0
        started = time.monotonic()
        last_report = started
        for chunk in chunks(tenant, args.subscriptions, args.branches, args.seed):
            await feed(service, chunk, args.feeders)
            events += len(chunk)
            now = time.monotonic()
            if now - last_report > 30:
                print(f"  {events:,} events, {events / (now - started):,.0f}/s", flush=True)
                last_report = now
        project_seconds = time.monotonic() - started
        # Generating the events (pydantic, in this process) is inside the time; see README.
        async with service.runtime.db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        headers = service.auth(tenant=tenant)
        params = {"from": "2024-01-01", "to": "2024-12-31", "group_by": "branch"}
        for _ in range(3):
            await service.client.get(QUERY, params=params, headers=headers)
        timings = []
        rows = 0
        for _ in range(args.queries):
            t0 = time.perf_counter()
            response = await service.client.get(QUERY, params=params, headers=headers)
            timings.append((time.perf_counter() - t0) * 1000)
            rows = len(response.json()["rows"])
        timings.sort()
        rebuilt = await rebuild(service.runtime.db, tenant=tenant)
    rate = events / project_seconds
    rebuild_rate = rebuilt.events / rebuilt.seconds if rebuilt.seconds else 0.0
    print(
        f"projected {events:,} events in {project_seconds:,.1f} s: {rate:,.0f} events/s "
        f"({args.feeders} concurrent feeders, generation included)"
    )
    print(
        f"subscription statistics, a year by product and branch ({rows} rows), "
        f"{args.queries} queries: p50 {percentile(timings, 0.5):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms, max {timings[-1]:.1f} ms"
    )
    print(
        f"rebuild from the archive: {rebuilt.events:,} events in {rebuilt.seconds:,.1f} s "
        f"({rebuild_rate:,.0f} events/s)"
    )
    print(
        f"RESULT projection_eps={rate:.0f} query_p50_ms={percentile(timings, 0.5):.1f} "
        f"query_p95_ms={percentile(timings, 0.95):.1f} rebuild_eps={rebuild_rate:.0f}"
    )


async def drop_namespace(settings: Settings, namespace: str) -> None:
    conn = await asyncpg.connect(plain_pg_url(asyncpg_url(settings.pg_url)) + "/postgres")
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{namespace}\\_%"
        )
        for row in rows:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
    await delete_namespace(settings.amqp_url, BusNames(namespace), [STATISTICS.name])


async def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    namespace = f"bench{uuid.uuid4().hex[:10]}"
    settings = settings_for(namespace)
    configure_logging(settings)
    print(f"namespace {namespace}", flush=True)
    try:
        await run(settings, args)
    finally:
        await drop_namespace(settings, namespace)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        logging.getLogger(__name__).warning("interrupted; the namespace was removed")
        sys.exit(130)
