"""Deleting open orders and drafts, and closing unpaid orders at zero (rule 36), on orders a
real billing run issued; posted documents are never deleted."""

from __future__ import annotations

from federa.shared.contracts.billing import DOCUMENT_CANCELLED

from .conftest import Billing
from .credit_helpers import billed, credit_worker, document_with, runs, subscription_of
from .run_helpers import ANNUAL_PRICE, MEDLEM_FIRST_CHARGE, all_documents, finished, start_run

__all__ = ["credit_worker", "runs"]


async def test_deleting_an_open_order_cancels_it_and_its_periods_are_charged_again(
    runs: Billing,
) -> None:
    population, docs = await billed(runs, 2, mode="order")
    annual = await subscription_of(runs, population, "ANNUAL")
    order = document_with(docs, annual)

    deleted = await runs.call("DELETE", f"/v1/documents/{order['id']}")

    assert deleted["status"] == "cancelled"
    [event] = await runs.outbox(DOCUMENT_CANCELLED.type, order["id"])
    assert (event["data"]["reason"], event["data"]["document_no"]) == (
        "deleted",
        order["document_no"],
    )
    assert (await runs.call("GET", f"/v1/subscriptions/{annual}"))["billed_through"] is None
    again = await runs.call("DELETE", f"/v1/documents/{order['id']}", expect=409)
    assert again["type"].endswith("/document-not-open")
    rerun = await finished(runs, (await start_run(runs))["id"])
    [reissued] = await all_documents(runs, billing_run_id=rerun["id"])
    assert reissued["total_amount"] == ANNUAL_PRICE + MEDLEM_FIRST_CHARGE
    assert reissued["member_id"] == str(population.members[0])


async def test_a_posted_invoice_is_never_deleted(runs: Billing) -> None:
    _, [invoice] = await billed(runs)
    problem = await runs.call("DELETE", f"/v1/documents/{invoice['id']}", expect=409)
    assert problem["type"].endswith("/document-not-open")
    assert (await runs.call("GET", f"/v1/documents/{invoice['id']}"))["status"] == "posted"
    assert await runs.outbox(DOCUMENT_CANCELLED.type) == []
    unknown = await runs.call(
        "DELETE", "/v1/documents/00000000-0000-4000-8000-000000000000", expect=404
    )
    assert unknown["type"].endswith("/document-not-found")


async def test_close_at_zero_closes_the_unpaid_orders_matching_and_keeps_their_periods(
    runs: Billing,
) -> None:
    population, docs = await billed(runs, 2, mode="order")
    with_medlem = document_with(docs, await subscription_of(runs, population, "MEDLEM"))
    other = next(d for d in docs if d["id"] != with_medlem["id"])

    closed = await runs.call(
        "POST",
        "/v1/orders/close-at-zero",
        {"posting_date_before": "2025-07-01", "product": "MEDLEM"},
    )

    assert closed == {"closed": 1, "document_ids": [with_medlem["id"]]}
    assert (await runs.call("GET", f"/v1/documents/{with_medlem['id']}"))["status"] == "cancelled"
    assert (await runs.call("GET", f"/v1/documents/{other['id']}"))["status"] == "open"
    [event] = await runs.outbox(DOCUMENT_CANCELLED.type, with_medlem["id"])
    assert event["data"]["reason"] == "closed_at_zero"
    # The periods stay billed: the next run charges nothing for them.
    annual = await subscription_of(runs, population, "ANNUAL")
    assert (await runs.call("GET", f"/v1/subscriptions/{annual}"))["billed_through"] == (
        "2025-12-31"
    )
    rerun = await finished(runs, (await start_run(runs))["id"])
    assert rerun["totals"]["charged"] == 0

    # Again: nothing more; without the product filter: the other one.
    assert (
        await runs.call(
            "POST",
            "/v1/orders/close-at-zero",
            {"posting_date_before": "2025-07-01", "product": "MEDLEM"},
        )
    )["closed"] == 0
    too_early = await runs.call(
        "POST", "/v1/orders/close-at-zero", {"posting_date_before": "2025-06-15"}
    )
    assert too_early["closed"] == 0
    rest = await runs.call(
        "POST", "/v1/orders/close-at-zero", {"posting_date_before": "2025-07-01"}
    )
    assert rest["document_ids"] == [other["id"]]


async def test_a_cancelled_order_cannot_be_credited(runs: Billing) -> None:
    population, [order] = await billed(runs, mode="order")
    await runs.call("DELETE", f"/v1/documents/{order['id']}")
    annual = await subscription_of(runs, population, "ANNUAL")
    problem = await runs.call("POST", f"/v1/subscriptions/{annual}/credit-latest", expect=409)
    assert problem["type"].endswith("/nothing-to-credit")
    assert await all_documents(runs, kind="credit_memo") == []


async def test_credit_latest_of_an_open_order_is_refused_delete_it_instead(runs: Billing) -> None:
    population, [order] = await billed(runs, mode="order")
    annual = await subscription_of(runs, population, "ANNUAL")
    problem = await runs.call("POST", f"/v1/subscriptions/{annual}/credit-latest", expect=409)
    assert problem["type"].endswith("/document-not-posted")
    assert (await runs.call("GET", f"/v1/documents/{order['id']}"))["status"] == "open"
    assert await all_documents(runs, kind="credit_memo") == []
