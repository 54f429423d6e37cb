"""Payments at scale: a camt.054 file of N payments against N open items.

Starts the payments service in this process, in a namespace of the benchmark's own, seeds N
open items (one invoice per payer, written straight into the ledger tables as billing's
`document.issued` events would leave them; the consumer path is measured by the events
benchmark), generates a camt.054 notification of N payments with a realistic mix, imports it
through `POST /v1/payment-files`, polls its progress, and prints how fast payments were
matched and applied and how many were matched automatically. Asserts nothing; removes its
databases and bus objects at the end.

    uv run python -m bench.payments [--payments 100000] [--no-relay]
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
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import asyncpg
from sqlalchemy import insert, text

from federa.payments.main import DEFINITION as PAYMENTS
from federa.payments.sources.samples import SamplePayment, camt
from federa.payments.storage.tables import ledger_entries, payer_accounts, receivables
from federa.shared.auth import Role
from federa.shared.messaging.topology import BusNames, delete_namespace
from federa.shared.payment_reference import ReferenceSeries, payment_reference
from federa.shared.settings import Settings, asyncpg_url, plain_pg_url
from federa.shared.telemetry import configure_logging
from federa.shared.testing.harness import RunningService, running_service

SEED_CHUNK = 5000
PROGRESS_SECONDS = 10.0
POLL_SECONDS = 0.5
# The file's mix: (share, kind). Kinds: exact, over (gift), under_small (write-off),
# under_big (partly open), unknown (suspense, exception), payer_text (payer number in text).
MIX: tuple[tuple[float, str], ...] = (
    (0.88, "exact"),
    (0.04, "over"),
    (0.03, "under_small"),
    (0.02, "under_big"),
    (0.02, "unknown"),
    (0.01, "payer_text"),
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=100_000, help="payments = open items")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-relay", action="store_true", help="leave the events in the outbox during the run"
    )
    return parser.parse_args(argv)


def settings_for(namespace: str, *, relay: bool) -> Settings:
    defaults = Settings()
    return Settings(
        service=PAYMENTS.name,
        namespace=namespace,
        pg_url=os.environ.get("FEDERA_PG_URL", defaults.pg_url),
        amqp_url=os.environ.get("FEDERA_AMQP_URL", defaults.amqp_url),
        log_json=False,
        log_level="WARNING",
        relay_enabled=relay,
    )


async def seed(
    service: RunningService, tenant: str, n: int, rng: random.Random
) -> list[dict[str, Any]]:
    """N payers with one open invoice each, as the ledger holds them after billing's events."""
    items: list[dict[str, Any]] = []
    for i in range(n):
        items.append(
            {
                "document_id": uuid.uuid4(),
                "payer": uuid.uuid4(),
                "number": 10_000 + i,
                "amount": rng.randrange(10_000, 100_000, 100),
                "reference": payment_reference(ReferenceSeries.INVOICE, 10_000 + i),
            }
        )
    for start in range(0, n, SEED_CHUNK):
        chunk = items[start : start + SEED_CHUNK]
        async with service.runtime.db.transaction() as session:
            await session.execute(
                insert(payer_accounts),
                [
                    {
                        "payer_account_id": it["payer"],
                        "tenant": tenant,
                        "number": it["number"],
                        "name": f"Payer {it['number']}",
                        "version": 1,
                    }
                    for it in chunk
                ],
            )
            await session.execute(
                insert(receivables),
                [
                    {
                        "document_id": it["document_id"],
                        "tenant": tenant,
                        "kind": "invoice",
                        "document_no": str(it["number"]),
                        "payer_account_id": it["payer"],
                        "payer_number": it["number"],
                        "posting_date": date(2026, 1, 1),
                        "due_date": date(2026, 2, 1) + timedelta(days=it["number"] % 28),
                        "currency": "DKK",
                        "amount": it["amount"],
                        "remaining": it["amount"],
                        "payment_reference": it["reference"],
                        "posting_types": ["DUES"],
                        "subscription_ids": [],
                        "status": "open",
                        "version": 0,
                        "source_version": 1,
                    }
                    for it in chunk
                ],
            )
            await session.execute(
                insert(ledger_entries),
                [
                    {
                        "tenant": tenant,
                        "kind": "document",
                        "payer_account_id": it["payer"],
                        "document_id": it["document_id"],
                        "amount": it["amount"],
                        "currency": "DKK",
                        "entry_date": date(2026, 1, 1),
                    }
                    for it in chunk
                ],
            )
    async with service.runtime.db.sessions() as session:
        await session.execute(text("ANALYZE"))
    return items


def payments_file(items: list[dict[str, Any]], rng: random.Random) -> tuple[bytes, dict[str, int]]:
    kinds = [k for _, k in MIX]
    weights = [w for w, _ in MIX]
    mix: dict[str, int] = dict.fromkeys(kinds, 0)
    payments = []
    for n, it in enumerate(items):
        kind = rng.choices(kinds, weights)[0]
        mix[kind] += 1
        amount, reference, textual = it["amount"], it["reference"], None
        if kind == "over":
            amount += rng.randrange(100, 5_000)
        elif kind == "under_small":
            amount -= rng.randrange(1, 500)
        elif kind == "under_big":
            amount //= 2
        elif kind == "unknown":
            reference = payment_reference(ReferenceSeries.INVOICE, 9_000_000 + n)
        elif kind == "payer_text":
            reference, textual = None, f"kundenr {it['number']}"
        payments.append(
            SamplePayment(amount, reference=reference, text=textual, bank_reference=f"B{n}")
        )
    return camt(payments, message_id="BENCH"), mix


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
    await delete_namespace(settings.amqp_url, BusNames(namespace), [PAYMENTS.name])


async def run(settings: Settings, args: argparse.Namespace) -> None:
    n = args.payments
    rng = random.Random(args.seed)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    load = os.getloadavg()[0]
    print(
        f"payments {n}; python {platform.python_version()}, {os.cpu_count()} cpus, "
        f"load average {load:.2f} at the start; relay {'off' if args.no_relay else 'on'}",
        flush=True,
    )
    async with running_service(PAYMENTS, settings) as service:
        headers = {"Authorization": f"Bearer {service.token(Role.BOOKKEEPER, tenant=tenant)}"}
        setup = {
            "default_matching_mode": "balance",
            "writeoff_enabled": True,
            "writeoff_max": 500,
            "sources": {"bank": {"strategy": "as_much_as_possible"}},
        }
        response = await service.client.put("/v1/application-setup", json=setup, headers=headers)
        response.raise_for_status()
        started = time.perf_counter()
        items = await seed(service, tenant, n, rng)
        seeded = time.perf_counter() - started
        raw, mix = payments_file(items, rng)
        print(f"seeded {n} open items in {seeded:.1f} s; file {len(raw) / 1e6:.1f} MB", flush=True)

        cpu0 = time.process_time()
        t0 = time.perf_counter()
        response = await service.client.post(
            "/v1/payment-files",
            params={"format": "camt054"},
            content=raw,
            headers={**headers, "content-type": "application/xml"},
            timeout=600,
        )
        response.raise_for_status()
        accepted = time.perf_counter() - t0
        file_id = response.json()["payment_file_id"]
        last_print = time.perf_counter()
        while True:
            row = (await service.client.get(f"/v1/payment-files/{file_id}", headers=headers)).json()
            if row["status"] != "importing":
                break
            if time.perf_counter() - last_print > PROGRESS_SECONDS:
                elapsed = time.perf_counter() - t0
                print(f"  {row['processed']}/{n} after {elapsed:.0f} s", flush=True)
                last_print = time.perf_counter()
            await asyncio.sleep(POLL_SECONDS)
        total = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        async with service.runtime.db.sessions() as session:
            pending = (
                await session.execute(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                )
            ).scalar_one()
            events = (await session.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        recon = (await service.client.get("/v1/reconciliation", headers=headers)).json()
        report = (
            await service.client.get(f"/v1/payment-files/{file_id}/report", headers=headers)
        ).json()
        failure = [line for line in report["report"] if line.get("outcome") == "failed"]

    counts = row["counts"]
    if row["status"] != "done":
        print(f"the import {row['status']}: {failure}")
    auto = counts["matched"] + counts["partly_matched"]
    rate = n / total
    apply_rate = n / max(total - accepted, 1e-9)
    print(f"status {row['status']}; mix " + ", ".join(f"{k} {v}" for k, v in mix.items()))
    print(f"{'stage':<34}{'seconds':>9}{'payments/s':>12}")
    print(f"{'upload, parse and check (POST)':<34}{accepted:>9.1f}{n / accepted:>12.0f}")
    print(f"{'match and apply (chunks of 500)':<34}{total - accepted:>9.1f}{apply_rate:>12.0f}")
    print(f"{'total: POST -> done':<34}{total:>9.1f}{rate:>12.0f}")
    print(
        "counts: "
        + ", ".join(
            f"{k} {counts[k]}"
            for k in (
                "matched",
                "partly_matched",
                "unmatched",
                "exceptions",
                "gifts",
                "writeoffs",
                "duplicates",
            )
        )
    )
    print(
        f"matched automatically: {auto}/{n} ({auto / n:.1%}); reconciliation balanced: "
        f"{recon['balanced']}"
    )
    print(
        f"this process used {cpu:.0f} s of CPU in {total:.0f} s; outbox {events} events, "
        f"{pending} still pending at the end"
    )
    print(
        f"RESULT payments_per_s={rate:.0f} apply_per_s={apply_rate:.0f} "
        f"matched_auto_share={auto / n:.4f} parse_per_s={n / accepted:.0f} "
        f"outbox_pending={pending}"
    )


async def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    namespace = f"bench{uuid.uuid4().hex[:10]}"
    settings = settings_for(namespace, relay=not args.no_relay)
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
