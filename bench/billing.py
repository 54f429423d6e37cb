"""Billing day: a billing run over generated subscriptions, with one worker and with two.

Starts the billing service and its workers as processes of their own, in a namespace of the
benchmark's own; defines a catalogue through the API (fixed, value-band, payroll and
age-banded price codes); writes `--subscriptions` members with one subscription each over
`--branches` branches straight into the database with COPY; then

1. runs billing through 2025-06-30 with one worker (every subscription's first year), and
2. through 2026-01-31 with two workers (every subscription's second year: the same work),

each timed from the POST to the last `billing.document.issued` confirmed by the broker (the
outbox has no unpublished document event left). Last, a floor: bare asyncpg and aio-pika
writing the same rows (documents, lines, billing log, outbox) and publishing the same events
with publisher confirms, in this process. Prints figures, asserts nothing, removes its
databases and bus objects at the end.

    uv run python -m bench.billing [--subscriptions 100000] [--branches 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aio_pika
import asyncpg
import httpx

from federa.shared.auth import ALL_ORGANISATIONS, Role, mint_dev_token
from federa.shared.db import drop_database
from federa.shared.messaging.topology import BusNames, delete_namespace
from federa.shared.settings import SERVICE_PORTS, Settings, plain_pg_url

POLL_SECONDS = 0.25
TENANT = "bench"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_processes() -> dict[int, str]:
    """PostgreSQL's and RabbitMQ's processes now (every database's: on a shared machine other
    work shows here too), by pid."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue
        if name in ("postgres", "beam.smp"):
            found[int(pid)] = "postgres" if name == "postgres" else "rabbitmq"
    return found


def server_cpu_by_process() -> dict[int, tuple[str, float]]:
    return {pid: (group, cpu_seconds(pid)) for pid, group in server_processes().items()}


def cpu_spent(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """Per server, the CPU its processes alive at the end spent since `before` (a process
    started meanwhile counts whole; one that exited is lost: keep the connections open)."""
    totals = {"postgres": 0.0, "rabbitmq": 0.0}
    for pid, (group, seconds) in after.items():
        totals[group] += seconds - before.get(pid, (group, 0.0))[1]
    return totals


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), read before it exits."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Processes:
    settings: Settings
    port: int
    children: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FEDERA_NAMESPACE": self.settings.namespace,
            "FEDERA_PG_URL": self.settings.pg_url,
            "FEDERA_AMQP_URL": self.settings.amqp_url,
            "FEDERA_PORT": str(self.port),
            "FEDERA_LOG_JSON": "false",
            "FEDERA_LOG_LEVEL": "WARNING",
        }

    async def start(self, name: str, module: str) -> None:
        self.children[name] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, env=self.env(), stdout=asyncio.subprocess.DEVNULL
        )

    def peaks(self) -> dict[str, float]:
        return {name: peak_rss_mb(p.pid) for name, p in self.children.items()}

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each child."""
        return {name: cpu_seconds(p.pid) for name, p in self.children.items()}

    async def stop(self, *names: str) -> None:
        for name in names or list(self.children):
            process = self.children.pop(name, None)
            if process is None or process.returncode is not None:
                continue
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()


async def wait_for_workers(settings: Settings, count: int, timeout: float = 120) -> None:
    """Until `count` workers consume the run-chunk queue, so a run's time leaves out their
    start (imports, connections)."""
    name = f"{settings.namespace}.billing.run-chunks"
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
                if (queue.declaration_result.consumer_count or 0) >= count:
                    return
            except aio_pika.exceptions.ChannelClosed:
                pass
            finally:
                if not channel.is_closed:
                    await channel.close()
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{count} billing workers did not start")


async def wait_ready(client: httpx.AsyncClient, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.3)
    raise RuntimeError("the billing service did not become ready")


async def call(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    response = await client.request(method, path, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


async def define_catalogue(client: httpx.AsyncClient) -> None:
    """One product per pricing strategy; each 450.00-ish a year, whole years."""

    async def product(code: str) -> None:
        await call(client, "POST", "/v1/products", {"code": code, "description": code})
        await call(
            client,
            "POST",
            f"/v1/products/{code}/periods:generate",
            {"start": "2025-01-01", "count": 4, "length": {"years": 1}},
        )

    async def price_code(product_code: str, code: str, **extra: Any) -> dict[str, Any]:
        body = {
            "product": product_code,
            "code": code,
            "description": code,
            "external_description": f"{product_code} {code}",
            "first_term": {"years": 1},
            "subsequent_term": {"years": 1},
            **extra,
        }
        created: dict[str, Any] = await call(client, "POST", "/v1/price-codes", body)
        return created

    async def price(code: dict[str, Any], amount: int) -> None:
        await call(
            client,
            "POST",
            f"/v1/price-codes/{code['id']}/prices",
            {"from_date": "2025-01-01", "amount": amount},
        )

    for code in ("FIX", "VAL", "PAY", "AGE"):
        await product(code)
    await price(await price_code("FIX", "STD"), 45000)
    await price_code(
        "VAL",
        "STD",
        calculation="value_bands",
        value_bands={
            "unit_value_price": "1",
            "bands": [
                {"max_value": "100", "net_price": 300},
                {"max_value": "1000", "net_price": 200},
                {"max_value": None, "net_price": 100},
            ],
        },
    )
    payroll = await price_code("PAY", "STD", calculation="payroll")
    await call(
        client,
        "POST",
        f"/v1/price-codes/{payroll['id']}/payroll-tables",
        {
            "from_date": "2025-01-01",
            "bands": [
                {"min_value": 0, "max_value": 0, "price_per_unit": "0", "min_dues": 20000},
                {"min_value": 1, "max_value": 100000, "price_per_unit": "0.5"},
                {"min_value": 100001, "max_value": None, "price_per_unit": "0.25"},
            ],
        },
    )
    await price(await price_code("AGE", "YOUTH"), 20000)
    await price(await price_code("AGE", "ADULT"), 45000)
    await price_code(
        "AGE",
        "BYAGE",
        age_bands=[
            {"up_to_age": 25, "price_code": "YOUTH"},
            {"up_to_age": None, "price_code": "ADULT"},
        ],
    )


PRODUCTS = (("FIX", "STD"), ("VAL", "STD"), ("PAY", "STD"), ("AGE", "BYAGE"))


async def generate(conn: asyncpg.Connection, count: int, branches: int, seed: int) -> None:
    """Branches, members, their payer accounts, one subscription each with its START entry,
    written with COPY as an import would (the API's per-member path is not what is measured)."""
    rng = random.Random(seed)
    branch_ids = [uuid.uuid4() for _ in range(branches)]
    await conn.copy_records_to_table(
        "organisations",
        records=[(b, TENANT, f"Branch {n + 1}", [], 1) for n, b in enumerate(branch_ids)],
        columns=["organisation_id", "tenant", "name", "ancestor_ids", "version"],
    )
    members, payers, subs, entries = [], [], [], []
    for n in range(count):
        member, payer, sub = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        branch = branch_ids[n % branches]
        product, code = PRODUCTS[n % len(PRODUCTS)]
        members.append(
            (
                member,
                TENANT,
                n + 1,
                f"Member {n + 1}",
                date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28)),
                f"{1000 + n % 8000}",
                "DK",
                branch,
                [branch],
                "active",
                rng.choice((50, 500, 5000, 250_000)),
                payer,
                1,
            )
        )
        payers.append((payer, TENANT, n + 1, member, f"Member {n + 1}", "DK", 1))
        start = date(2025, 1, 1)
        subs.append(
            (
                sub,
                TENANT,
                n + 1,
                member,
                product,
                code,
                payer,
                start,
                start,
                start,
                "new",
                1,
                1,
                1,
                0,
                branch,
                "internal",
                1,
                "bench",
                "bench",
            )
        )
        entries.append((sub, 0, TENANT, "start", "START", start, start, "bench"))
    await conn.copy_records_to_table(
        "members",
        records=members,
        columns=[
            "member_id",
            "tenant",
            "member_number",
            "name",
            "birth_date",
            "postcode",
            "country_code",
            "organisation_id",
            "organisation_ids",
            "status",
            "value_units",
            "default_payer_account_id",
            "version",
        ],
    )
    await conn.copy_records_to_table(
        "payer_accounts",
        records=payers,
        columns=["id", "tenant", "number", "owner_member_id", "name", "country_code", "version"],
    )
    await conn.copy_records_to_table(
        "subscriptions",
        records=subs,
        columns=[
            "id",
            "tenant",
            "subscription_no",
            "member_id",
            "product",
            "price_code",
            "payer_account_id",
            "from_date",
            "registration_date",
            "latest_start",
            "billing_status",
            "billed_qty",
            "delivered_qty",
            "persons",
            "delivery_address_no",
            "organisation_id",
            "collection_channel",
            "version",
            "created_by",
            "updated_by",
        ],
    )
    await conn.copy_records_to_table(
        "lifecycle_entries",
        records=entries,
        columns=[
            "subscription_id",
            "position",
            "tenant",
            "kind",
            "reason_code",
            "effective",
            "recorded_on",
            "recorded_by",
        ],
    )
    for kind in ("subscription", "payer_account"):
        await conn.execute(
            "INSERT INTO number_sequences (tenant, kind, last_number) VALUES ($1, $2, $3)",
            TENANT,
            kind,
            count,
        )
    await conn.execute("ANALYZE")


@dataclass
class RunFigures:
    label: str
    workers: int
    documents: int
    issued_seconds: float
    confirmed_seconds: float
    peaks: dict[str, float]
    # CPU seconds each process (and PostgreSQL, RabbitMQ) spent from the POST to the end.
    cpu: dict[str, float] = field(default_factory=dict)

    def cpu_ms_per_document(self) -> str:
        return ", ".join(
            f"{name} {1000 * seconds / self.documents:.2f}" for name, seconds in self.cpu.items()
        )

    @property
    def confirmed_rate(self) -> float:
        return self.documents / self.confirmed_seconds

    @property
    def issued_rate(self) -> float:
        return self.documents / self.issued_seconds


async def pending_document_events(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL "
            "AND event_type = 'federa.billing.document.issued.v1'"
        )
    )


async def billing_run(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    processes: Processes,
    *,
    label: str,
    workers: int,
    posting: str,
    through: str,
    chunk_size: int,
) -> RunFigures:
    cpu_before, servers_before = processes.cpu(), server_cpu_by_process()
    started = time.monotonic()
    run = await call(
        client,
        "POST",
        "/v1/billing-runs",
        {"posting_date": posting, "bill_through_date": through, "chunk_size": chunk_size},
    )
    last_print = started
    while True:
        state = await call(client, "GET", f"/v1/billing-runs/{run['id']}")
        if state["status"] in ("completed", "failed", "cancelled"):
            break
        if time.monotonic() - last_print > 10:
            last_print = time.monotonic()
            print(
                f"  {label}: {state['chunks_done']}/{state['chunks_total']} chunks, "
                f"{state['totals']['documents']} documents after {last_print - started:.0f} s",
                flush=True,
            )
        await asyncio.sleep(POLL_SECONDS)
    issued = time.monotonic() - started
    backlog = await pending_document_events(conn)
    while await pending_document_events(conn):  # noqa: ASYNC110  (polling another process)
        await asyncio.sleep(POLL_SECONDS)
    confirmed = time.monotonic() - started
    if backlog and confirmed > issued:
        print(
            f"  {label}: {backlog} document events unpublished when the run completed, "
            f"drained in {confirmed - issued:.1f} s ({backlog / (confirmed - issued):.0f}/s)",
            flush=True,
        )
    if state["status"] != "completed" or state["totals"]["failed"]:
        print(f"  {label}: {state['status']}, {state['totals']['failed']} failed", flush=True)
    cpu_after = processes.cpu()
    servers = cpu_spent(servers_before, server_cpu_by_process())
    return RunFigures(
        label,
        workers,
        state["totals"]["documents"],
        issued,
        confirmed,
        processes.peaks(),
        {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after} | servers,
    )


@dataclass
class FloorFigures:
    """Seconds of each step of the floor, and the whole."""

    inserts: float = 0.0
    advances: float = 0.0
    publish: float = 0.0
    marks: float = 0.0

    @property
    def total(self) -> float:
        return self.inserts + self.advances + self.publish + self.marks

    @property
    def inserts_and_publish(self) -> float:
        """The floor as it was measured before 2026-11-22 (third session): no row updates."""
        return self.inserts + self.publish


async def floor(
    conn: asyncpg.Connection, amqp_url: str, count: int, chunk_size: int
) -> FloorFigures:
    """Bare asyncpg and aio-pika doing the run's writes and publishes with no framework and no
    computing: per chunk transaction the same documents, lines, log rows and outbox rows
    written with COPY and the same subscriptions advanced with one UPDATE; then the same
    events published with confirms, 100 in flight, and their outbox rows marked published,
    500 a statement, as the relay does. Returns the seconds of each step."""
    docs = await conn.fetch("SELECT * FROM documents ORDER BY created_at LIMIT $1", count)
    lines = await conn.fetch(
        "SELECT l.* FROM document_lines l JOIN documents d ON d.id = l.document_id "
        "WHERE d.id = ANY($1::uuid[])",
        [d["id"] for d in docs],
    )
    log = await conn.fetch(
        "SELECT * FROM billing_log WHERE document_id = ANY($1::uuid[])", [d["id"] for d in docs]
    )
    events = await conn.fetch(
        "SELECT * FROM outbox WHERE event_type = 'federa.billing.document.issued.v1' "
        "ORDER BY id LIMIT $1",
        count,
    )
    for table in ("documents", "document_lines", "billing_log", "outbox", "subscriptions"):
        await conn.execute(
            f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
    await conn.execute("INSERT INTO floor_subscriptions SELECT * FROM subscriptions")
    advanced = {
        row["id"]: row
        for row in await conn.fetch(
            "SELECT id, billed_from, billed_through, billing_status FROM subscriptions"
        )
    }
    servers_before, cpu_before = server_cpu_by_process(), time.process_time()
    line_of: dict[Any, list[Any]] = {}
    for line in lines:
        line_of.setdefault(line["document_id"], []).append(line)
    log_of = {row["document_id"]: row for row in log}
    figures = FloorFigures()
    for offset in range(0, len(docs), chunk_size):
        chunk = docs[offset : offset + chunk_size]
        async with conn.transaction():
            started = time.monotonic()
            await conn.copy_records_to_table(
                "floor_documents", records=[tuple(d.values()) for d in chunk]
            )
            await conn.copy_records_to_table(
                "floor_document_lines",
                records=[tuple(x.values()) for d in chunk for x in line_of.get(d["id"], [])],
            )
            await conn.copy_records_to_table(
                "floor_billing_log",
                records=[tuple(log_of[d["id"]].values()) for d in chunk if d["id"] in log_of],
            )
            await conn.copy_records_to_table(
                "floor_outbox",
                records=[tuple(e.values()) for e in events[offset : offset + chunk_size]],
            )
            figures.inserts += time.monotonic() - started
            started = time.monotonic()
            subjects = [
                advanced[log_of[d["id"]]["subscription_id"]] for d in chunk if d["id"] in log_of
            ]
            await conn.execute(
                "UPDATE floor_subscriptions s SET billed_from = u.f, billed_through = u.t, "
                "billing_status = u.st, version = s.version + 1, updated_at = now() "
                "FROM unnest($1::uuid[], $2::date[], $3::date[], $4::text[]) AS u(id, f, t, st) "
                "WHERE s.id = u.id",
                [r["id"] for r in subjects],
                [r["billed_from"] for r in subjects],
                [r["billed_through"] for r in subjects],
                [r["billing_status"] for r in subjects],
            )
            figures.advances += time.monotonic() - started
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"bench-floor-{uuid.uuid4().hex[:8]}",
            durable=True,
            arguments={"x-queue-type": "quorum"},
        )
        semaphore = asyncio.Semaphore(100)

        async def publish(event: Any) -> None:
            async with semaphore:
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        event["payload"].encode()
                        if isinstance(event["payload"], str)
                        else json.dumps(event["payload"]).encode(),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=event["event_id"],
                    ),
                    routing_key=queue.name,
                )

        started = time.monotonic()
        await asyncio.gather(*(publish(e) for e in events))
        figures.publish = time.monotonic() - started
        started = time.monotonic()
        for offset in range(0, len(events), 500):
            await conn.execute(
                "UPDATE floor_outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                [e["id"] for e in events[offset : offset + 500]],
            )
        figures.marks = time.monotonic() - started
        spent = {
            "bench": time.process_time() - cpu_before,
            **cpu_spent(servers_before, server_cpu_by_process()),
        }
        print(
            "floor: CPU ms per document: "
            + ", ".join(f"{name} {1000 * sec / len(docs):.2f}" for name, sec in spent.items()),
            flush=True,
        )
        await queue.delete(if_unused=False, if_empty=False)
    return figures


@contextlib.asynccontextmanager
async def namespace(settings: Settings) -> AsyncIterator[None]:
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await drop_database(settings)
        with contextlib.suppress(Exception):
            await delete_namespace(
                settings.amqp_url, BusNames(settings.namespace), [*SERVICE_PORTS, "probe"]
            )


async def main(args: argparse.Namespace) -> None:
    base = Settings()
    settings = base.model_copy(
        update={"service": "billing", "namespace": f"bench{uuid.uuid4().hex[:8]}"}
    )
    processes = Processes(settings, free_port())
    token = mint_dev_token(
        settings, roles=[Role.SUPERUSER], tenant=TENANT, organisations=[ALL_ORGANISATIONS]
    )
    print(
        f"billing {args.subscriptions} subscriptions, {args.branches} branches, chunks of "
        f"{args.chunk_size}; python {platform.python_version()}, {os.cpu_count()} cpus, "
        f"load average {os.getloadavg()[0]:.2f} at the start",
        flush=True,
    )
    async with namespace(settings):
        await processes.start("service", "federa.billing")
        client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{processes.port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        conn: asyncpg.Connection | None = None
        try:
            await wait_ready(client)
            await define_catalogue(client)
            conn = await asyncpg.connect(plain_pg_url(settings.database_url))
            started = time.monotonic()
            await generate(conn, args.subscriptions, args.branches, args.seed)
            print(f"generated in {time.monotonic() - started:.1f} s", flush=True)

            await processes.start("worker-1", "federa.billing.worker")
            await wait_for_workers(settings, 1)
            one = await billing_run(
                client,
                conn,
                processes,
                label="one worker",
                workers=1,
                posting="2025-06-15",
                through="2025-06-30",
                chunk_size=args.chunk_size,
            )
            await processes.start("worker-2", "federa.billing.worker")
            await wait_for_workers(settings, 2)
            two = await billing_run(
                client,
                conn,
                processes,
                label="two workers",
                workers=2,
                posting="2026-01-02",
                through="2026-01-31",
                chunk_size=args.chunk_size,
            )
            await processes.stop()
            floored = await floor(conn, settings.amqp_url, one.documents, args.chunk_size)
        finally:
            await processes.stop()
            await client.aclose()
            if conn is not None:
                await conn.close()
    report(args, one, two, floored)


def report(
    args: argparse.Namespace, one: RunFigures, two: RunFigures, floored: FloorFigures
) -> None:
    print(
        f"{'run':<14}{'documents':>10}{'issued s':>10}{'confirmed s':>13}{'invoices/s':>12}"
        "  peak RSS MB"
    )
    for run in (one, two):
        peaks = ", ".join(f"{name} {mb:.0f}" for name, mb in run.peaks.items())
        print(
            f"{run.label:<14}{run.documents:>10}{run.issued_seconds:>10.1f}"
            f"{run.confirmed_seconds:>13.1f}{run.confirmed_rate:>12.0f}  {peaks}"
        )
    for run in (one, two):
        print(f"{run.label}: CPU ms per document: {run.cpu_ms_per_document()}")
    floor_rate = one.documents / floored.total
    inserts_rate = one.documents / floored.inserts_and_publish
    print(
        f"{'floor':<14}{one.documents:>10}{'':>10}{floored.total:>13.1f}{floor_rate:>12.0f}"
        "  (bare asyncpg + aio-pika, this process)"
    )
    print(
        f"floor steps: inserts {floored.inserts:.1f} s, subscription advances "
        f"{floored.advances:.1f} s, publish {floored.publish:.1f} s, outbox marks "
        f"{floored.marks:.1f} s; without the updates {inserts_rate:.0f}/s"
    )
    print(
        f"one worker at {one.confirmed_rate / floor_rate:.0%} of the floor "
        f"({one.confirmed_rate / inserts_rate:.0%} of inserts and publishing alone), two at "
        f"{two.confirmed_rate / floor_rate:.0%} ({two.confirmed_rate / inserts_rate:.0%})"
    )
    print(
        "issued = POST → run completed (every chunk committed); confirmed = POST → no "
        "document.issued left unpublished in the outbox"
    )
    worker_peak = max(
        (mb for run in (one, two) for name, mb in run.peaks.items() if name.startswith("worker")),
        default=float("nan"),
    )
    print(
        f"RESULT invoices_per_s_1_worker={one.confirmed_rate:.0f} "
        f"invoices_per_s_2_workers={two.confirmed_rate:.0f} "
        f"issued_per_s_1_worker={one.issued_rate:.0f} issued_per_s_2_workers={two.issued_rate:.0f} "
        f"floor_per_s={floor_rate:.0f} floor_inserts_publish_per_s={inserts_rate:.0f} "
        f"peak_worker_rss_mb={worker_peak:.0f} "
        f"peak_service_rss_mb={max(one.peaks.get('service', 0), two.peaks.get('service', 0)):.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
