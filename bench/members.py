"""Members at scale: bulk import rate and search latency.

Starts the members service in this process, in a namespace of the benchmark's own, imports a
tree (1 federation, `--regions` regions, `--branches` branches) and `--members` generated
members through `POST /v1/imports`, polling the import's progress, then times searches by
name, by phonetic spelling and by postcode. The relay is on during the import, so the outbox
drains to RabbitMQ meanwhile. Prints figures, asserts nothing, and removes its databases and
bus objects at the end.

    uv run python -m bench.members [--members 1000000] [--branches 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import logging
import os
import platform
import random
import sys
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from federa.members.domain.phonetic import normalise
from federa.members.main import DEFINITION as MEMBERS
from federa.shared.messaging.topology import BusNames, delete_namespace
from federa.shared.settings import Settings, asyncpg_url, plain_pg_url
from federa.shared.telemetry import configure_logging
from federa.shared.testing.harness import RunningService, running_service

SEARCH_PATH = "/v1/members/search"
FALLBACK_PATH = "/v1/members"
PROGRESS_SECONDS = 30.0
POLL_SECONDS = 0.5
WARM_UP = 20

# First names with the spelling variants a phonetic search must bring together.
FIRST_NAMES: list[tuple[str, ...]] = [
    ("Kristian", "Christian", "Kristjan"),
    ("Karin", "Carin"),
    ("Katrine", "Catrine", "Cathrine"),
    ("Mikkel", "Mickel"),
    ("Frederik", "Fredrik", "Frederick"),
    ("Sofie", "Sophie"),
    ("Karl", "Carl"),
    ("Kasper", "Casper"),
    ("Erik", "Eric", "Erick"),
    ("Anne", "Ane"),
    ("Nils", "Niels"),
    ("Henrik", "Hendrik"),
    ("Mathias", "Matias", "Matthias"),
    ("Jakob", "Jacob"),
    ("Camilla", "Kamilla"),
    ("Cecilie", "Cecilia"),
    ("Kirsten", "Kirstin"),
    ("Thomas", "Tomas"),
    ("Jens",),
    ("Søren",),
    ("Mette",),
    ("Lars",),
    ("Ole",),
    ("Ingrid",),
    ("Astrid",),
    ("Sigrid",),
    ("Bjørn", "Björn"),
    ("Åsa",),
    ("Liv",),
    ("Emil",),
    ("Freja",),
    ("Ida",),
    ("Magnus",),
    ("Oskar", "Oscar"),
    ("Johan", "Johann"),
    ("Maja", "Maia"),
]
LAST_NAMES: list[tuple[str, ...]] = [
    ("Hansen",),
    ("Jensen",),
    ("Nielsen", "Nilsen"),
    ("Pedersen", "Petersen"),
    ("Andersen", "Andersson"),
    ("Kristensen", "Christensen"),
    ("Larsen", "Larsson"),
    ("Sørensen", "Sörensen"),
    ("Rasmussen",),
    ("Jørgensen", "Jörgensen"),
    ("Johansen", "Johansson"),
    ("Karlsson", "Carlsson"),
    ("Eriksen", "Eriksson"),
    ("Olsen", "Olsson"),
    ("Berg",),
    ("Lund",),
    ("Dahl",),
    ("Holm",),
    ("Lindqvist", "Lindquist"),
    ("Bergström",),
    ("Nordin",),
    ("Sandberg",),
    ("Haugen",),
    ("Bakken",),
    ("Moen",),
    ("Strand",),
    ("Solberg",),
    ("Madsen",),
    ("Mikkelsen", "Michelsen"),
    ("Frederiksen", "Fredriksen"),
    ("Knudsen", "Knutsen"),
    ("Thomsen", "Tomsen"),
]
STREETS = ["Storgata", "Vestergade", "Kongens gate", "Strandvejen", "Skolegatan", "Kirkevej"]
DOMAINS = ["example.org", "example.com", "post.example.net"]
POSTCODES_PER_BRANCH = 4


@dataclass
class ImportFigures:
    rows: int
    bytes: int
    upload_s: float
    validate_s: float
    write_s: float
    total_s: float
    created: int
    status: str

    @property
    def per_second(self) -> float:
        return self.rows / self.total_s if self.total_s > 0 else float("nan")


@dataclass
class Latency:
    name: str
    path: str
    ms: list[float]
    hits: float

    def p(self, fraction: float) -> float:
        return percentile(sorted(self.ms), fraction)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.members",
        description="Bulk import rate and search latency of the members service.",
    )
    parser.add_argument("--members", type=int, default=1_000_000, help="members (1000000)")
    parser.add_argument("--branches", type=int, default=2000, help="branches (2000)")
    parser.add_argument("--regions", type=int, default=20, help="regions (20)")
    parser.add_argument("--queries", type=int, default=200, help="queries per search kind (200)")
    parser.add_argument(
        "--fuzzy-queries",
        type=int,
        default=50,
        help="queries with the API's default (phonetic and fuzzy), the slowest kind (50)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
    args = parser.parse_args(argv)
    if min(args.members, args.branches, args.regions, args.queries, args.fuzzy_queries) < 1:
        parser.error("--members, --branches, --regions and the query counts must be at least 1")
    return args


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ascii_fold(value: str) -> str:
    folded = value.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


def settings_for(namespace: str) -> Settings:
    defaults = Settings()
    return Settings(
        service=MEMBERS.name,
        namespace=namespace,
        pg_url=os.environ.get("FEDERA_PG_URL", defaults.pg_url),
        amqp_url=os.environ.get("FEDERA_AMQP_URL", defaults.amqp_url),
        log_json=False,
        log_level="WARNING",
    )


def branch_postcodes(branch: int) -> list[str]:
    """Each branch covers a few four-digit postcodes of its own."""
    return [str(1000 + (branch * POSTCODES_PER_BRANCH + j) % 9000) for j in range(4)]


def organisations_csv(regions: int, branches: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["organisation_number", "name", "organisation_type", "parent_number"])
    writer.writerow([1, "Federation", "federation", ""])
    for r in range(regions):
        writer.writerow([2 + r, f"Region {r + 1}", "region", 1])
    for b in range(branches):
        writer.writerow([1001 + b, f"Branch {b + 1}", "branch", 2 + b % regions])
    return out.getvalue()


def members_csv(count: int, branches: int, seed: int) -> bytes:
    """Deterministic members: Nordic names in their spelling variants, addresses, e-mails."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(
        [
            "external_id",
            "name",
            "email",
            "phone",
            "birth_date",
            "street_name",
            "street_no",
            "postcode",
            "city",
            "category",
            "enrolment_date",
            "organisation_number",
            "tags",
        ]
    )
    born_from = date(1930, 1, 1).toordinal()
    born_to = date(2012, 12, 31).toordinal()
    joined_from = date(1990, 1, 1).toordinal()
    joined_to = date(2024, 12, 31).toordinal()
    for n in range(count):
        first = rng.choice(rng.choice(FIRST_NAMES))
        last = rng.choice(rng.choice(LAST_NAMES))
        branch = rng.randrange(branches)
        tags = [t for t, share in (("magazine", 0.2), ("volunteer", 0.1)) if rng.random() < share]
        writer.writerow(
            [
                f"OLD-{n + 1:08d}",
                f"{first} {last}",
                f"{ascii_fold(first)}.{ascii_fold(last)}{n}@{rng.choice(DOMAINS)}",
                f"+45 {rng.randrange(20_000_000, 99_999_999)}",
                date.fromordinal(rng.randrange(born_from, born_to)).isoformat(),
                rng.choice(STREETS),
                str(rng.randrange(1, 200)),
                rng.choice(branch_postcodes(branch)),
                f"Town {branch + 1}",
                "member" if rng.random() < 0.9 else "supporter",
                date.fromordinal(rng.randrange(joined_from, joined_to)).isoformat(),
                1001 + branch,
                "|".join(tags),
            ]
        )
    return out.getvalue().encode()


def search_terms(count: int, branches: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """(names, names in any of their spellings, postcodes), drawn like the data."""
    rng = random.Random(seed + 1)
    names, spellings, postcodes = [], [], []
    for _ in range(count + WARM_UP):
        names.append(f"{rng.choice(rng.choice(FIRST_NAMES))} {rng.choice(rng.choice(LAST_NAMES))}")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        spellings.append(f"{rng.choice(first)} {rng.choice(last)}")
        postcodes.append(rng.choice(branch_postcodes(rng.randrange(branches))))
    return names, spellings, postcodes


async def post_and_wait(
    service: RunningService, headers: dict[str, str], kind: str, body: bytes, runtime_db: Any
) -> ImportFigures:
    started = time.perf_counter()
    response = await service.client.post(
        f"/v1/imports?kind={kind}",
        content=body,
        headers={**headers, "Content-Type": "text/csv"},
        timeout=None,
    )
    if response.status_code != 202:
        raise RuntimeError(f"import refused: {response.status_code} {response.text[:500]}")
    uploaded = time.perf_counter()
    import_id = response.json()["id"]
    validated: float | None = None
    next_report = uploaded + PROGRESS_SECONDS
    while True:
        state = (await service.client.get(f"/v1/imports/{import_id}", headers=headers)).json()
        now = time.perf_counter()
        if validated is None and state["status"] != "validating":
            validated = now
        if state["status"] in ("done", "rejected", "failed"):
            break
        if now >= next_report:
            published = service.runtime.relay.stats.published
            await report_progress(state, now - started, runtime_db, published)
            next_report = now + PROGRESS_SECONDS
        await asyncio.sleep(POLL_SECONDS)
    finished = time.perf_counter()
    if state["status"] != "done":
        raise RuntimeError(f"import {state['status']}: {state['report'][:5]}")
    validated = validated or finished
    return ImportFigures(
        rows=state["total_rows"],
        bytes=len(body),
        upload_s=uploaded - started,
        validate_s=validated - uploaded,
        write_s=finished - validated,
        total_s=finished - started,
        created=state["created"],
        status=state["status"],
    )


async def report_progress(
    state: dict[str, Any], elapsed: float, db: asyncpg.Connection, published: int
) -> None:
    # The highest outbox id counts the events written without scanning millions of rows.
    written = await db.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    rate = state["processed_rows"] / elapsed if elapsed > 0 else 0.0
    print(
        f"  {elapsed:7.0f} s  {state['status']:<10} {state['processed_rows']:>9} of "
        f"{state['total_rows']} rows ({rate:.0f}/s)  events written {written}, "
        f"published {published}",
        flush=True,
    )


def spelling_pairs() -> list[dict[str, str]]:
    """The spelling variants above as the tenant's equivalences (SPEC §2.1 rule 2); those
    that normalise alike (Bjørn, Björn) need none."""
    return [
        {"fragment": variants[0], "phonetic": other}
        for variants in FIRST_NAMES + LAST_NAMES
        for other in variants[1:]
        if normalise(other) != normalise(variants[0])
    ]


def has_route(service: RunningService, path: str) -> bool:
    return path in service.app.openapi().get("paths", {})


async def time_queries(
    service: RunningService,
    headers: dict[str, str],
    name: str,
    path: str,
    queries: Sequence[dict[str, str]],
) -> Latency:
    timings: list[float] = []
    hits = 0
    for i, params in enumerate(queries):
        started = time.perf_counter()
        response = await service.client.get(path, params=params, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: {response.status_code} {response.text[:300]}")
        if i >= WARM_UP:
            timings.append(elapsed)
            body = response.json()
            items = body.get("items", body) if isinstance(body, dict) else body
            hits += len(items)
    return Latency(name, path, timings, hits / max(1, len(timings)))


async def measure_searches(
    service: RunningService, headers: dict[str, str], args: argparse.Namespace
) -> tuple[list[Latency], str]:
    names, spellings, postcodes = search_terms(args.queries, args.branches, args.seed)
    if has_route(service, SEARCH_PATH):
        note = (
            f"searches through {SEARCH_PATH}: name = q as typed (phonetic=false, fuzzy=false), "
            "phonetic = q in another spelling (phonetic=true, fuzzy=false), fuzzy = q as typed "
            "with both on (the API's default), postcode = postcode only; limit 20"
        )
        exact = {"phonetic": "false", "fuzzy": "false", "limit": "20"}
        plans = [
            ("name", SEARCH_PATH, [{"q": n, **exact} for n in names]),
            ("phonetic", SEARCH_PATH, [{**exact, "q": s, "phonetic": "true"} for s in spellings]),
            (
                "fuzzy",
                SEARCH_PATH,
                [{"q": n, "limit": "20"} for n in names[: WARM_UP + args.fuzzy_queries]],
            ),
            ("postcode", SEARCH_PATH, [{"postcode": p, "limit": "20"} for p in postcodes]),
        ]
    else:
        note = (
            f"{SEARCH_PATH} does not exist: name and phonetic searches not measured; "
            f"postcode through {FALLBACK_PATH}?postcode="
        )
        plans = [("postcode", FALLBACK_PATH, [{"postcode": p, "limit": "20"} for p in postcodes])]
    results = [await time_queries(service, headers, n, p, q) for n, p, q in plans]
    return results, note


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
    await delete_namespace(settings.amqp_url, BusNames(namespace), [MEMBERS.name])


async def run(settings: Settings, args: argparse.Namespace) -> None:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    load = os.getloadavg()[0]
    async with running_service(MEMBERS, settings) as service:
        headers = service.auth(tenant=tenant)
        db = await asyncpg.connect(plain_pg_url(settings.database_url), timeout=10)
        try:
            pairs = spelling_pairs()
            response = await service.client.put(
                "/v1/phonetic-equivalences", json=pairs, headers=headers
            )
            if response.status_code != 200:
                raise RuntimeError(f"equivalences refused: {response.text[:300]}")
            print(f"tenant {tenant}: {len(pairs)} spelling equivalences", flush=True)

            tree = organisations_csv(args.regions, args.branches).encode()
            print(f"importing 1 federation, {args.regions} regions, {args.branches} branches")
            orgs = await post_and_wait(service, headers, "organisations", tree, db)
            print(f"  organisations: {orgs.rows} in {orgs.total_s:.1f} s", flush=True)

            started = time.perf_counter()
            body = members_csv(args.members, args.branches, args.seed)
            generated = time.perf_counter() - started
            print(
                f"generated {args.members} members ({len(body) / 1e6:.0f} MB of CSV) "
                f"in {generated:.1f} s; importing ...",
                flush=True,
            )
            cpu = time.process_time()
            figures = await post_and_wait(service, headers, "members", body, db)
            cpu = time.process_time() - cpu
            del body
            backlog_after_import = await db.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            published = service.runtime.relay.stats.published
            # Searches are timed on their own, without the relay publishing beside them.
            await service.runtime.relay.stop()
            await db.execute("ANALYZE")
            sizes = await db.fetchrow(
                "SELECT pg_size_pretty(pg_total_relation_size('members')) AS members,"
                " pg_size_pretty(pg_total_relation_size('outbox')) AS outbox,"
                " (SELECT count(*) FROM outbox) AS events"
            )
            print("timing searches ...", flush=True)
            searches, note = await measure_searches(service, headers, args)
        finally:
            await db.close()
    report(args, figures, cpu, backlog_after_import, published, sizes, searches, note, load)


def report(
    args: argparse.Namespace,
    f: ImportFigures,
    cpu: float,
    backlog: int,
    published: int,
    sizes: Any,
    searches: list[Latency],
    note: str,
    load: float,
) -> None:
    print()
    print(
        f"members {f.rows} in {args.branches} branches under {args.regions} regions; "
        f"python {platform.python_version()}, {os.cpu_count()} cpus, "
        f"load average {load:.2f} at the start"
    )
    print(f"{'import stage':<34}{'seconds':>10}{'members/s':>12}")
    for name, seconds in (
        ("upload and shape check (POST)", f.upload_s),
        ("validate every line", f.validate_s),
        ("write (chunks of 1000)", f.write_s),
        ("total: POST → done", f.total_s),
    ):
        rate = f.rows / seconds if seconds > 0 else float("nan")
        print(f"{name:<34}{seconds:>10.1f}{rate:>12.0f}")
    print(
        f"the service's process used {cpu:.0f} s of CPU meanwhile "
        f"({100 * cpu / f.total_s:.0f}% of one core; relay publishing beside the import)"
    )
    print(
        f"outbox: {sizes['events']} events ({sizes['outbox']}); {published} published during "
        f"the import, {backlog} still pending at its end; members table {sizes['members']}"
    )
    print(note)
    print(f"{'search':<10}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'hits':>7}")
    for s in searches:
        print(
            f"{s.name:<10}{len(s.ms):>8}{s.p(0.5):>9.1f}{s.p(0.95):>9.1f}{s.p(0.99):>9.1f}"
            f"{s.hits:>7.1f}"
        )
    by_name = {s.name: s for s in searches}
    parts = [f"import_members_per_s={f.per_second:.0f}"]
    for kind in ("name", "phonetic", "postcode", "fuzzy"):
        measured = by_name.get(kind)
        for label, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            value = measured.p(fraction) if measured is not None else float("nan")
            parts.append(f"search_{kind}_{label}_ms={value:.1f}")
    parts.append(f"outbox_pending={backlog}")
    print("RESULT " + " ".join(parts))


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
