"""`federa-billing-run` end to end: the real CLI over real HTTP against the billing service of
this test run (served on a free port by uvicorn in the test's event loop) and a real billing
worker, with the real database and broker.

The CLI is synchronous (httpx.Client, time.sleep while it watches), so each invocation runs in
a thread while the event loop goes on serving the service and the worker."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import click
import pytest
import uvicorn
from typer.testing import CliRunner

from federa.billing.runs.cli import app
from federa.shared.contracts.members import ORGANISATION_CREATED, OrganisationStateV1
from federa.shared.envelope import new_event
from federa.shared.testing.harness import RunningService, eventually

from .conftest import Billing
from .credit_helpers import credit_worker, runs
from .run_helpers import Population, populate

__all__ = ["credit_worker", "runs"]  # the shared session worker and its fixture

POSTING, BILL_THROUGH = "2025-06-15", "2025-06-30"
SUMMARY_KEYS = ("charged", "free", "failed", "skipped", "credited", "documents", "credit_memos")


class _ServerInTest(uvicorn.Server):
    """uvicorn in the test's event loop; Ctrl-C and other signals stay pytest's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest.fixture(scope="module")
async def billing_url(billing: RunningService) -> AsyncIterator[str]:
    """The session's billing app (its lifespan already running) over real HTTP."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(billing.app, lifespan="off", log_config=None, access_log=False)
    server = _ServerInTest(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started or serving.done(), timeout=10)
    assert server.started, serving
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


@dataclass
class Cli:
    """`federa-billing-run` as an operator calls it, as this test's tenant's superuser."""

    url: str
    token: str

    async def __call__(self, *args: str) -> tuple[int, str]:
        """Exit code and what it printed (plain text, wide enough that no table wraps)."""
        argv = [*args, "--url", self.url, "--token", self.token]
        result = await asyncio.to_thread(
            CliRunner().invoke, app, argv, env={"COLUMNS": "200", "FEDERA_TOKEN": None}
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, click.unstyle(result.output)


@pytest.fixture
def cli(runs: Billing, billing_url: str) -> Cli:
    return Cli(billing_url, runs.service.token(tenant=runs.tenant))


def money(minor: int) -> str:
    return f"{minor / 100:,.2f}"


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the rich table printed (header and borders left out)."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]


def summary_row(run: dict[str, Any]) -> list[str]:
    """The run's totals as the API reports them, in the order of the CLI's summary table."""
    totals = run["totals"]
    return [*(str(totals[k]) for k in SUMMARY_KEYS), money(totals["amount"])]


async def organisations(runs: Billing, *names: str) -> list[uuid.UUID]:
    """Branches in billing's copy of the tree, as the members service announces them."""
    ids = []
    for number, name in enumerate(names, start=1):
        org = uuid.uuid4()
        data = OrganisationStateV1(
            organisation_id=org, organisation_number=number, name=name, organisation_type="branch"
        )
        event = new_event(
            ORGANISATION_CREATED, data, subject=str(org), tenant=runs.tenant, aggregate_version=1
        )
        assert await runs.service.runtime.consumer.handle(event.to_json()) == "applied"
        ids.append(org)
    return ids


def expected_by_branch(
    population: Population, branches: dict[str, uuid.UUID]
) -> dict[str, tuple[int, int]]:
    """Per branch name: (subscriptions, amount) of the hand-computed first charges."""
    found = {}
    for name, branch in branches.items():
        mine = [s for s, o in population.organisation_of.items() if o == branch]
        found[name] = (len(mine), sum(population.subscriptions[s] for s in mine))
    return found


async def test_start_watch_and_report_follow_a_real_run_to_its_api_figures(
    runs: Billing, cli: Cli
) -> None:
    """Five members (ANNUAL 450.00 each; members 0 and 3 also MEDLEM 131.92), three in North
    and two in South: 7 subscriptions, 5 documents, 2,513.84 in all."""
    north, south = await organisations(runs, "North", "South")
    population = await populate(runs, 5, branches=(north, south))
    assert (len(population.subscriptions), population.total) == (7, 251384)

    code, out = await cli(
        "start", "--posting-date", POSTING, "--bill-through", BILL_THROUGH, "--chunk-size", "1",
        "--no-watch",
    )  # fmt: skip
    assert code == 0, out
    started = re.search(r"^run ([0-9a-f-]{36}): (\d+) subscriptions in (\d+) chunks$", out, re.M)
    assert started is not None, out
    run_id = started.group(1)
    stored = await runs.call("GET", f"/v1/billing-runs/{run_id}")
    assert (stored["posting_date"], stored["bill_through_date"]) == (POSTING, BILL_THROUGH)
    assert stored["dry_run"] is False
    assert int(started.group(2)) == stored["subscriptions_selected"] == 7
    # A chunk never splits one payer's document: one chunk per member at size 1.
    assert int(started.group(3)) == stored["chunks_total"] == 5
    assert await runs.count("billing_runs", "tenant = :t", t=runs.tenant) == 1

    code, out = await cli("watch", run_id)
    assert code == 0, out
    done = await runs.call("GET", f"/v1/billing-runs/{run_id}")
    assert done["status"] == "completed"
    totals = done["totals"]
    assert (totals["charged"], totals["failed"], totals["documents"]) == (7, 0, 5)
    assert totals["amount"] == population.total
    assert f"run {run_id} completed\n" in out
    assert table_rows(out) == [summary_row(done)]
    assert table_rows(out)[0][SUMMARY_KEYS.index("documents")] == "5"
    assert table_rows(out)[0][-1] == "2,513.84"
    # The progress bar's last frame: every chunk, and the final counts.
    bar = next(line for line in out.splitlines() if line.startswith("completed"))
    assert f" {done['chunks_total']}/{done['chunks_total']} " in bar
    assert (
        f"charged 7, failed 0, documents 5, amount {money(totals['amount'])} {done['currency']}"
        in bar
    )

    code, out = await cli("report", run_id)
    assert code == 0, out
    report = await runs.call("GET", f"/v1/billing-runs/{run_id}/report")
    rows = {row[0]: row[1:] for row in table_rows(out)}
    assert list(rows) == [*(r["organisation_name"] for r in report["organisations"]), "total"]
    assert sorted(rows) == ["North", "South", "total"]
    for row in [*report["organisations"], {**report["totals"], "organisation_name": "total"}]:
        assert rows[row["organisation_name"]] == [
            str(row["subscriptions"]),
            str(row["failed"]),
            str(row["lines"]),
            money(row["amount"]),
            money(row["branch_share"]),
            money(row["credited_amount"]),
        ]
    expected = expected_by_branch(population, {"North": north, "South": south})
    assert expected == {"North": (4, 148192), "South": (3, 103192)}
    for name, (subscriptions, amount) in expected.items():
        assert (rows[name][0], rows[name][3]) == (str(subscriptions), money(amount))
    assert rows["total"][3] == money(population.total) == "2,513.84"


async def test_a_dry_run_from_the_cli_is_watched_to_the_end_and_stores_nothing(
    runs: Billing, cli: Cli
) -> None:
    population = await populate(runs, 4)  # 4 ANNUAL, MEDLEM for members 0 and 3

    code, out = await cli(
        "start", "--posting-date", POSTING, "--bill-through", BILL_THROUGH, "--dry-run"
    )
    assert code == 0, out
    started = re.search(r"^run ([0-9a-f-]{36}): 6 subscriptions in \d+ chunks$", out, re.M)
    assert started is not None, out
    run_id = started.group(1)
    run = await runs.call("GET", f"/v1/billing-runs/{run_id}")
    assert (run["status"], run["dry_run"]) == ("completed", True)
    assert run["totals"]["charged"] == len(population.subscriptions) == 6
    assert run["totals"]["amount"] == population.total == 4 * 45000 + 2 * 13192
    assert f"run {run_id} completed (dry run)\n" in out
    assert table_rows(out) == [summary_row(run)]
    assert table_rows(out)[0][-1] == money(population.total)

    assert await runs.count("documents", "tenant = :t", t=runs.tenant) == 0
    assert await runs.count("billing_log", "tenant = :t", t=runs.tenant) == 0
    billed = "tenant = :t AND billed_through IS NOT NULL"
    assert await runs.count("subscriptions", billed, t=runs.tenant) == 0
    assert await runs.outbox("federa.billing.document.issued.v1") == []


async def test_a_refused_start_prints_the_problem_exits_non_zero_and_changes_nothing(
    runs: Billing, cli: Cli
) -> None:
    await populate(runs, 1)
    early = {"posting_date": "2025-07-01", "bill_through_date": "2025-06-30"}
    problem = await runs.call("POST", "/v1/billing-runs", early, expect=422)
    assert problem["type"].endswith("/bill-through-before-posting-date")

    code, out = await cli(
        "start", "--posting-date", "2025-07-01", "--bill-through", "2025-06-30", "--no-watch"
    )
    assert code == 1, out
    assert f"422 {problem['title']}: {problem['detail']}" in out
    assert "2025-06-30 is before the posting date 2025-07-01" in out
    assert table_rows(out) == []

    unknown = {**early, "posting_date": POSTING, "filters": {"products": ["NOSUCH"]}}
    problem = await runs.call("POST", "/v1/billing-runs", unknown, expect=404)
    code, out = await cli(
        "start", "--posting-date", POSTING, "--bill-through", BILL_THROUGH, "--product", "NOSUCH"
    )
    assert code == 1, out
    assert f"404 {problem['title']}: {problem['detail']}" in out
    assert "NOSUCH" in out

    assert await runs.count("billing_runs", "tenant = :t", t=runs.tenant) == 0
    assert await runs.outbox("federa.billing.run.started.v1") == []


async def test_an_unknown_run_id_exits_non_zero_with_the_problem(runs: Billing, cli: Cli) -> None:
    missing = str(uuid.uuid4())
    problem = await runs.call("GET", f"/v1/billing-runs/{missing}", expect=404)
    assert problem["type"].endswith("/billing-run-not-found")
    for command in ("watch", "report"):
        code, out = await cli(command, missing)
        assert code == 1, (command, out)
        assert f"404 {problem['title']}: {problem['detail']}" in out, (command, out)
        assert missing in out
        assert table_rows(out) == []
