"""`federa-billing-run`: start a billing run and watch it, through the billing API.

    federa-billing-run start --posting-date 2025-06-15 --bill-through 2025-06-30 [--dry-run]
    federa-billing-run watch RUN_ID
    federa-billing-run report RUN_ID

It only talks HTTP (`--url`, default the local billing service), with `--token` or
`FEDERA_TOKEN`, or in development a superuser token of `--tenant` minted on the spot.
"""

from __future__ import annotations

import os
import time
from datetime import date
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from federa.shared.auth import ALL_ORGANISATIONS, Role, mint_dev_token
from federa.shared.settings import SERVICE_PORTS, Settings

app = typer.Typer(help="Billing runs: start, watch, report.", no_args_is_help=True)
console = Console()
ENDED = ("completed", "failed", "cancelled")

Url = Annotated[str, typer.Option(help="The billing service.")]
Token = Annotated[str | None, typer.Option(help="Bearer token; default $FEDERA_TOKEN.")]
Tenant = Annotated[str, typer.Option(help="Development only: mint a token for this tenant.")]
DEFAULT_URL = f"http://127.0.0.1:{SERVICE_PORTS['billing']}"


def _client(url: str, token: str | None, tenant: str) -> httpx.Client:
    token = token or os.environ.get("FEDERA_TOKEN")
    if token is None:
        token = mint_dev_token(
            Settings(), roles=[Role.SUPERUSER], tenant=tenant, organisations=[ALL_ORGANISATIONS]
        )
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0)


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        body = response.json() if response.content else {}
        console.print(
            f"[red]{response.status_code} {body.get('title', '')}[/]: {body.get('detail', body)}"
        )
        raise typer.Exit(1)
    return response.json()


def watch_run(client: httpx.Client, run_id: str, interval: float = 1.0) -> dict[str, Any]:
    """A live progress bar over the run's chunks until it ends; returns the final state."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("chunks", total=None, detail="")
        while True:
            run: dict[str, Any] = _checked(client.get(f"/v1/billing-runs/{run_id}"))
            totals = run["totals"]
            progress.update(
                task,
                total=max(run["chunks_total"], 1),
                completed=run["chunks_done"] + run["chunks_skipped"],
                description=run["status"],
                detail=(
                    f"charged {totals['charged']}, failed {totals['failed']}, "
                    f"documents {totals['documents']}, amount {totals['amount'] / 100:,.2f} "
                    f"{run['currency']}"
                ),
            )
            if run["status"] in ENDED:
                return run
            time.sleep(interval)


def _summary(run: dict[str, Any]) -> None:
    colour = {"completed": "green", "failed": "red"}.get(run["status"], "yellow")
    console.print(
        f"run {run['id']} [{colour}]{run['status']}[/]" + (" (dry run)" if run["dry_run"] else "")
    )
    if run.get("failure"):
        console.print(f"  {run['failure']}")
    table = Table(
        "charged", "free", "failed", "skipped", "credited", "documents", "credit memos", "amount"
    )
    t = run["totals"]
    table.add_row(
        *(
            str(t[k])
            for k in (
                "charged",
                "free",
                "failed",
                "skipped",
                "credited",
                "documents",
                "credit_memos",
            )
        ),
        f"{t['amount'] / 100:,.2f}",
    )
    console.print(table)


@app.command()
def start(
    posting_date: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    bill_through: Annotated[str, typer.Option(help="YYYY-MM-DD: charge what is due by then")],
    dry_run: Annotated[bool, typer.Option(help="Compute and report, store nothing.")] = False,
    stop_on_error: bool = False,
    product: Annotated[list[str] | None, typer.Option(help="Only these products.")] = None,
    price_code: Annotated[list[str] | None, typer.Option(help="Only these price codes.")] = None,
    organisation: Annotated[list[str] | None, typer.Option(help="Only these (subtrees).")] = None,
    member: Annotated[list[str] | None, typer.Option(help="Only these members.")] = None,
    to_date: Annotated[str | None, typer.Option(help="blank | set (rule 29)")] = None,
    chunk_size: int = 500,
    watch: Annotated[bool, typer.Option(help="Follow it with a progress bar.")] = True,
    idempotency_key: Annotated[str | None, typer.Option(help="Repeat-safe start.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    tenant: Tenant = "demo",
) -> None:
    """Start a billing run (`POST /v1/billing-runs`) and, by default, watch it."""
    body = {
        "posting_date": date.fromisoformat(posting_date).isoformat(),
        "bill_through_date": date.fromisoformat(bill_through).isoformat(),
        "dry_run": dry_run,
        "stop_on_error": stop_on_error,
        "chunk_size": chunk_size,
        "filters": {
            "products": product or [],
            "price_codes": price_code or [],
            "organisations": organisation or [],
            "members": member or [],
            "to_date": to_date,
        },
    }
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with _client(url, token, tenant) as client:
        run = _checked(client.post("/v1/billing-runs", json=body, headers=headers))
        console.print(
            f"run {run['id']}: {run['subscriptions_selected']} subscriptions "
            f"in {run['chunks_total']} chunks"
        )
        if watch:
            run = watch_run(client, run["id"])
        _summary(run)


@app.command("watch")
def watch_command(
    run_id: str, url: Url = DEFAULT_URL, token: Token = None, tenant: Tenant = "demo"
) -> None:
    """Follow a run with a progress bar until it ends."""
    with _client(url, token, tenant) as client:
        _summary(watch_run(client, run_id))


@app.command()
def report(
    run_id: str, url: Url = DEFAULT_URL, token: Token = None, tenant: Tenant = "demo"
) -> None:
    """The run's report per organisation (the billing test report for a dry run)."""
    with _client(url, token, tenant) as client:
        body = _checked(client.get(f"/v1/billing-runs/{run_id}/report"))
    table = Table(
        "organisation", "subscriptions", "failed", "lines", "amount", "branch share", "credited"
    )
    for row in [*body["organisations"], {**body["totals"], "organisation_name": "total"}]:
        table.add_row(
            row["organisation_name"] or str(row["organisation_id"] or "-"),
            str(row["subscriptions"]),
            str(row["failed"]),
            str(row["lines"]),
            f"{row['amount'] / 100:,.2f}",
            f"{row['branch_share'] / 100:,.2f}",
            f"{row['credited_amount'] / 100:,.2f}",
        )
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
