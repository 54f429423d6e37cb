"""The collection cycle across services (SPEC flows F1, F2, F4): a member joins on members, a
subscription starts on billing, a billing run worker invoices it, payments opens the receivable
from `document.issued`, a camt.054 file pays it by its payment reference, `payment.applied`
closes the item and marks the subscription paid on billing, and statistics counts the invoice
and the payment. Every hop is a real event through RabbitMQ between real databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import pytest

from federa.billing.runs.worker import running_worker
from federa.payments.sources.samples import SamplePayment, camt
from federa.shared.testing.harness import RunningService, eventually
from federa.shared.testing.plugin import Namespaces
from tests.conftest import Platform, start_platform

ANNUAL_PRICE = 45000


@pytest.fixture(scope="module")
async def money_platform(namespaces: Namespaces) -> AsyncIterator[Platform]:
    settings_for = namespaces.settings(namespaces.new())
    async with AsyncExitStack() as stack:
        platform = await start_platform(stack, settings_for)
        await stack.enter_async_context(running_worker(settings_for("billing")))
        yield platform


async def call(
    service: RunningService,
    tenant: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    expect: int = 200,
    params: dict[str, Any] | None = None,
) -> Any:
    response = await service.client.request(
        method, path, json=body, params=params, headers=service.auth(tenant=tenant)
    )
    assert response.status_code == expect, response.text
    return response.json() if response.content else None


async def annual_product(billing: RunningService, tenant: str) -> None:
    """450.00 a year from 2025-01-01, whole years from the start."""
    await call(
        billing,
        tenant,
        "POST",
        "/v1/products",
        {"code": "ANNUAL", "description": "Annual"},
        expect=201,
    )
    price_code = await call(
        billing,
        tenant,
        "POST",
        "/v1/price-codes",
        {
            "product": "ANNUAL",
            "code": "STD",
            "description": "Standard",
            "external_description": "Annual dues",
            "first_term": {"years": 1},
            "subsequent_term": {"years": 1},
        },
        expect=201,
    )
    await call(
        billing,
        tenant,
        "POST",
        f"/v1/price-codes/{price_code['id']}/prices",
        {"from_date": "2025-01-01", "amount": ANNUAL_PRICE},
        expect=201,
    )
    await call(billing, tenant, "PATCH", "/v1/products/ANNUAL", {"default_price_code": "STD"})
    await call(
        billing,
        tenant,
        "POST",
        "/v1/products/ANNUAL/periods:generate",
        {"start": "2025-01-01", "count": 4, "length": {"years": 1}},
    )


async def test_a_members_dues_are_invoiced_paid_by_bank_file_and_counted(
    money_platform: Platform, tenant: str
) -> None:
    members = money_platform["members"]
    billing = money_platform["billing"]
    payments = money_platform["payments"]

    member = await call(
        members,
        tenant,
        "POST",
        "/v1/members",
        {"name": "Anna Berg", "postcode": "2100"},
        expect=201,
    )

    async def payer_account() -> Any:
        page = await call(
            billing, tenant, "GET", "/v1/payer-accounts", params={"member_id": member["id"]}
        )
        items = page["items"] if isinstance(page, dict) else page
        return items[0] if items else None

    payer = await eventually(payer_account)
    await annual_product(billing, tenant)
    subscription = await call(
        billing,
        tenant,
        "POST",
        "/v1/subscriptions",
        {"member_id": member["id"], "product": "ANNUAL", "from_date": "2025-01-01"},
        expect=201,
    )
    assert subscription["payer_account_id"] == payer["id"]

    run = await call(
        billing,
        tenant,
        "POST",
        "/v1/billing-runs",
        {"posting_date": "2025-06-15", "bill_through_date": "2025-06-30"},
        expect=202,
    )

    async def finished() -> Any:
        found = await call(billing, tenant, "GET", f"/v1/billing-runs/{run['id']}")
        return found if found["status"] in ("completed", "failed", "cancelled") else None

    assert (await eventually(finished, timeout=60))["status"] == "completed"
    [invoice] = (await call(billing, tenant, "GET", "/v1/documents"))["items"]
    assert (invoice["kind"], invoice["total_amount"]) == ("invoice", ANNUAL_PRICE)

    async def open_item() -> Any:
        item = await payments.client.get(
            f"/v1/open-items/{invoice['id']}", headers=payments.auth(tenant=tenant)
        )
        return item.json() if item.status_code == 200 else None

    item = await eventually(open_item)
    assert (item["remaining"], item["payment_reference"]) == (
        ANNUAL_PRICE,
        invoice["payment_reference"],
    )

    raw = camt(
        [
            SamplePayment(
                ANNUAL_PRICE,
                reference=invoice["payment_reference"],
                bank_reference=f"{tenant}-1",
                value_date=date(2025, 7, 1),
            )
        ],
        message_id=tenant,
    )
    response = await payments.client.post(
        "/v1/payment-files",
        content=raw,
        params={"format": "camt054"},
        headers={**payments.auth(tenant=tenant), "content-type": "application/xml"},
    )
    assert response.status_code == 202, response.text

    async def paid() -> Any:
        found = await call(billing, tenant, "GET", f"/v1/subscriptions/{subscription['id']}")
        return found if found["billing_status"] == "paid" else None

    await eventually(paid, timeout=30)
    closed = await call(payments, tenant, "GET", f"/v1/open-items/{invoice['id']}")
    assert closed["remaining"] == 0
    assert (await call(payments, tenant, "GET", "/v1/reconciliation"))["balanced"] is True

    statistics = money_platform["statistics"]

    async def counted() -> Any:
        finance = await call(
            statistics,
            tenant,
            "GET",
            "/v1/finance",
            params={"from": "2025-01-01", "to": "2025-12-31"},
        )
        return finance if finance["paid"]["amount"] == ANNUAL_PRICE else None

    finance = await eventually(counted, timeout=30)
    assert (finance["invoiced"]["count"], finance["invoiced"]["amount"]) == (1, ANNUAL_PRICE)
    assert finance["outstanding_invoices"]["amount"] == 0
