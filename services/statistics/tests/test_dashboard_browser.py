"""The dashboard in headless Chromium (Debian's package, driven by Playwright): it loads, shows
the API's numbers, redraws the chart for month, week and day, and leaves a screenshot in
tests/artifacts/dashboard.png for review."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Page, async_playwright

from federa.shared.auth import Role, mint_dev_token
from federa.shared.testing.harness import RunningService, eventually
from federa.statistics.domain.periods import Grain
from federa.statistics.web.pages import chart_window

from .conftest import Stats
from .histories import reference_history

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ON = date(2024, 6, 1)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
async def base_url(statistics: RunningService) -> AsyncIterator[str]:
    """The running app on a real port (its lifespan already runs in the harness)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            statistics.app,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    assert shutil.which(CHROMIUM), "Debian's chromium is missing: apt-get install chromium"
    async with async_playwright() as p:
        browser = await p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1360, "height": 900},
        )
        try:
            yield browser.pages[0] if browser.pages else await browser.new_page()
        finally:
            await browser.close()


async def _bars(page: Page) -> dict[tuple[str, str], int]:
    found: list[dict[str, Any]] = await page.eval_on_selector_all(
        "#chart svg rect",
        "rs => rs.map(r => ({s: r.dataset.series, b: r.dataset.bucket, v: r.dataset.value}))",
    )
    return {(r["s"], r["b"]): int(r["v"]) for r in found}


def _api_bars(body: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {
        (name, row["bucket"]): row[name]
        for row in body["series"]
        for name in ("invoiced", "notified", "paid")
    }


async def test_the_dashboard_shows_the_apis_numbers(
    stats: Stats, base_url: str, page: Page
) -> None:
    await stats.feed(reference_history(stats.tenant).events)
    token = mint_dev_token(stats.service.settings, roles=[Role.READ], tenant=stats.tenant)
    await page.goto(f"{base_url}/dashboard?token={token}&on={ON}")
    await page.wait_for_selector("[data-testid=kpi-invoiced]")
    assert "token=" not in page.url  # kept in a cookie, not in the address bar

    window = chart_window(ON, Grain.MONTH)
    finance = await stats.get("/v1/finance", from_=window.first, to=window.last)
    for key in ("invoiced", "paid", "outstanding_invoices", "outstanding_notices", "not_yet_sent"):
        tile = page.locator(f"[data-testid=kpi-{key}]")
        assert int(await tile.get_attribute("data-count") or -1) == finance[key]["count"], key
        assert int(await tile.get_attribute("data-amount") or -1) == finance[key]["amount"], key
    assert await page.locator("[data-testid=kpi-invoiced] .value").inner_text() == "1,150.00 DKK"

    daily = await stats.get("/v1/daily-overview", on=ON)
    for day in daily["days"]:
        for key in (
            "documents_issued",
            "payments_received",
            "subscriptions_starting",
            "subscriptions_ending",
            "members_joined",
            "members_left",
        ):
            cell = page.locator(f"[data-testid={day['label']}-{key}]")
            assert int(await cell.get_attribute("data-value") or -1) == day[key]
    todo = await stats.get("/v1/todo", on=ON)
    for key in ("overdue_invoices", "overdue_notices", "payment_exceptions"):
        cell = page.locator(f"[data-testid=todo-{key}]")
        assert int(await cell.get_attribute("data-value") or -1) == todo[key]["count"]

    stats_api = await stats.get("/v1/subscription-statistics", from_="2024-01-01", to="2024-12-31")
    for column in ("opening", "new", "ended", "closing", "switched"):
        cell = page.locator(f"[data-testid=subscription-total] [data-column={column}]")
        assert (
            int(await cell.get_attribute("data-value") or -1) == stats_api["total"][column]["count"]
        )

    assert await _bars(page) == _api_bars(finance)
    for grain in ("week", "day", "month"):
        await page.click(f".switch a[data-grain={grain}]")
        await page.wait_for_selector(f"#chart svg[data-grain={grain}]")
        box = page.locator("#chart")
        api = await stats.get(
            "/v1/finance",
            from_=await box.get_attribute("data-from"),
            to=await box.get_attribute("data-to"),
            grain=grain,
        )
        assert await _bars(page) == _api_bars(api), grain
        if grain == "week":
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "dashboard-week.png"), full_page=False)

    # A finance figure opens the documents behind it.
    await page.click("[data-testid=kpi-outstanding_invoices-link]")
    await page.wait_for_selector("[data-testid=documents]")
    rows = page.locator("[data-testid=documents] tbody tr")
    assert await rows.count() == finance["outstanding_invoices"]["count"]
    await page.go_back()
    await page.wait_for_selector("[data-testid=kpi-invoiced]")

    # A number in the table opens the subscriptions behind it.
    new_link = page.locator("table[data-testid=subscription-statistics] a[data-column=new]").first
    expected = int(await new_link.get_attribute("data-value") or -1)
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    await new_link.click()
    await page.wait_for_selector("[data-testid=drill-down]")
    assert await page.locator("[data-testid=drill-down] tbody tr").count() == expected


async def test_the_event_log_filters(stats: Stats, base_url: str, page: Page) -> None:
    await stats.feed(reference_history(stats.tenant).events)
    token = mint_dev_token(stats.service.settings, roles=[Role.READ], tenant=stats.tenant)
    await page.goto(f"{base_url}/dashboard?token={token}&on={ON}")
    await page.select_option("select[name=etype]", "billing.document")
    await page.click("[data-testid=log-filters] button")
    await page.wait_for_selector("table[data-testid=event-log]")
    api = await stats.get("/v1/events", type="billing.document")
    rows = page.locator("table[data-testid=event-log] tbody tr")
    assert await rows.count() == api["total"]
    assert (
        "Invoice 10001 to anna, 450.00 DKK, issued"
        in await page.locator("table[data-testid=event-log]").inner_text()
    )


async def test_without_a_token_the_page_asks_for_one(base_url: str, page: Page) -> None:
    response = await page.goto(f"{base_url}/dashboard")
    assert response is not None
    assert response.status == 401
    assert await page.locator("input[name=token]").count() == 1
