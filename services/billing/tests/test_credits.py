"""Credit memos over the API, on invoices a real billing run issued: credit latest (rule 14)
and credit on stop (rule 8); a period is never credited twice, and a credited latest period is
charged again by the next run."""

from __future__ import annotations

from typing import Any

from federa.shared.contracts.billing import (
    CREDIT_MEMO_ISSUED,
    DOCUMENT_CANCELLED,
    DOCUMENT_ISSUED,
    SUBSCRIPTION_STOPPED,
)
from federa.shared.payment_reference import ReferenceSeries, parse_reference

from .conftest import Billing
from .credit_helpers import billed, credit_worker, document_with, runs, subscription_of
from .run_helpers import ANNUAL_PRICE, MEDLEM_FIRST_CHARGE, all_documents, finished, start_run

__all__ = ["credit_worker", "runs"]


async def credit_memos(runs: Billing) -> list[dict[str, Any]]:
    return await all_documents(runs, kind="credit_memo")


async def test_credit_latest_credits_the_whole_invoice_once_and_the_next_run_charges_again(
    runs: Billing,
) -> None:
    population, docs = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    medlem = await subscription_of(runs, population, "MEDLEM")
    [invoice] = docs

    memo = await runs.call("POST", f"/v1/subscriptions/{annual}/credit-latest", {}, expect=201)

    # The whole invoice, the other subscription on it included, line by line.
    assert (memo["kind"], memo["status"], memo["credit_reason"]) == (
        "credit_memo",
        "posted",
        "latest_document",
    )
    assert memo["credits_document_id"] == invoice["id"]
    assert memo["total_amount"] == invoice["total_amount"] == ANNUAL_PRICE + MEDLEM_FIRST_CHARGE
    assert sorted((line["subscription_id"], line["amount"]) for line in memo["lines"]) == sorted(
        (line["subscription_id"], line["amount"]) for line in invoice["lines"]
    )
    assert memo["document_no"] == "1"
    assert parse_reference(memo["payment_reference"]) == (ReferenceSeries.CREDIT_MEMO, 1)
    [event] = await runs.outbox(CREDIT_MEMO_ISSUED.type, memo["id"])
    assert event["data"]["credited_document_no"] == invoice["document_no"]
    assert event["data"]["total_amount"] == memo["total_amount"]
    assert (
        await runs.count("billing_log", "document_id = :d AND entry_kind = 'credit'", d=memo["id"])
        == 2
    )

    # Both first periods are unbilled again.
    for subscription_id in (annual, medlem):
        found = await runs.call("GET", f"/v1/subscriptions/{subscription_id}")
        assert (found["billed_through"], found["billing_status"]) == (None, "new")

    # Twice is refused, and nothing more is credited.
    again = await runs.call("POST", f"/v1/subscriptions/{medlem}/credit-latest", {}, expect=409)
    assert again["type"].endswith("/nothing-to-credit")
    assert len(await credit_memos(runs)) == 1

    # The next run charges the credited periods anew, once.
    rerun = await finished(runs, (await start_run(runs))["id"])
    [recharged] = await all_documents(runs, billing_run_id=rerun["id"])
    assert recharged["total_amount"] == ANNUAL_PRICE + MEDLEM_FIRST_CHARGE
    assert recharged["id"] != invoice["id"]
    third = await finished(runs, (await start_run(runs))["id"])
    assert await all_documents(runs, billing_run_id=third["id"]) == []


async def test_credit_latest_of_nothing_or_of_an_unknown_subscription_changes_nothing(
    runs: Billing,
) -> None:
    member = await runs.member_joins("Solo")
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "invoice"})
    population, _ = await billed(runs)
    fresh = await runs.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "ANNUAL", "from_date": "2026-01-01"},
        expect=201,
    )
    never = await runs.call("POST", f"/v1/subscriptions/{fresh['id']}/credit-latest", expect=409)
    assert never["type"].endswith("/nothing-to-credit")
    unknown = await runs.call(
        "POST", "/v1/subscriptions/00000000-0000-4000-8000-000000000000/credit-latest", expect=404
    )
    assert unknown["status"] == 404
    bad = await runs.call(
        "POST",
        f"/v1/subscriptions/{await subscription_of(runs, population, 'ANNUAL')}/credit-latest",
        {"posting_date": "not a date"},
        expect=422,
    )
    assert bad["status"] == 422
    assert await credit_memos(runs) == []
    assert await runs.outbox(CREDIT_MEMO_ISSUED.type) == []


async def test_a_stop_with_credit_credits_only_that_subscriptions_lines_of_its_latest_period(
    runs: Billing,
) -> None:
    population, docs = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    medlem = await subscription_of(runs, population, "MEDLEM")
    invoice = document_with(docs, annual)

    await runs.call(
        "POST",
        f"/v1/subscriptions/{annual}/stop",
        {"stop_date": "2025-01-01", "credit": True},
    )

    [memo] = await credit_memos(runs)
    memo = await runs.call("GET", f"/v1/documents/{memo['id']}")
    assert (memo["credit_reason"], memo["credits_document_id"]) == ("stop", invoice["id"])
    assert [(line["subscription_id"], line["amount"]) for line in memo["lines"]] == [
        (annual, ANNUAL_PRICE)
    ]
    [stopped] = await runs.outbox(SUBSCRIPTION_STOPPED.type, annual)
    assert stopped["data"]["credited"] is True
    assert (await runs.call("GET", f"/v1/subscriptions/{annual}"))["billed_through"] is None

    # Credit latest of the other subscription takes what is left of the invoice, no more.
    rest = await runs.call("POST", f"/v1/subscriptions/{medlem}/credit-latest", expect=201)
    assert [(line["subscription_id"], line["amount"]) for line in rest["lines"]] == [
        (medlem, MEDLEM_FIRST_CHARGE)
    ]
    assert sum(d["total_amount"] for d in await credit_memos(runs)) == invoice["total_amount"]


async def test_a_stop_inside_the_credited_period_keeps_the_days_before_it_billed(
    runs: Billing,
) -> None:
    population, _ = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    await runs.call(
        "POST", f"/v1/subscriptions/{annual}/stop", {"stop_date": "2025-07-01", "credit": True}
    )
    [memo] = await credit_memos(runs)
    assert memo["total_amount"] == ANNUAL_PRICE
    found = await runs.call("GET", f"/v1/subscriptions/{annual}")
    assert (found["to_date"], found["billed_through"]) == ("2025-06-30", "2025-06-30")
    # Nothing is due for it any more: the credited period is not charged again.
    rerun = await finished(runs, (await start_run(runs, bill_through_date="2025-12-31"))["id"])
    assert rerun["totals"]["charged"] == 0
    assert len(await credit_memos(runs)) == 1


async def test_a_stop_with_credit_on_an_open_order_cancels_it_and_reissues_the_rest(
    runs: Billing,
) -> None:
    population, docs = await billed(runs, mode="order")
    annual = await subscription_of(runs, population, "ANNUAL")
    medlem = await subscription_of(runs, population, "MEDLEM")
    [order] = docs
    assert order["kind"] == "order"

    await runs.call(
        "POST", f"/v1/subscriptions/{annual}/stop", {"stop_date": "2025-01-01", "credit": True}
    )

    cancelled = await runs.call("GET", f"/v1/documents/{order['id']}")
    assert cancelled["status"] == "cancelled"
    [event] = await runs.outbox(DOCUMENT_CANCELLED.type, order["id"])
    assert event["data"]["reason"] == "subscription_stopped"
    [replacement] = [d for d in await all_documents(runs, kind="order") if d["status"] == "open"]
    replacement = await runs.call("GET", f"/v1/documents/{replacement['id']}")
    assert [(line["subscription_id"], line["amount"]) for line in replacement["lines"]] == [
        (medlem, MEDLEM_FIRST_CHARGE)
    ]
    assert await runs.outbox(DOCUMENT_ISSUED.type, replacement["id"])
    assert await credit_memos(runs) == []
    [stopped] = await runs.outbox(SUBSCRIPTION_STOPPED.type, annual)
    assert stopped["data"]["credited"] is True


async def test_a_stop_without_credit_credits_nothing(runs: Billing) -> None:
    population, _ = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    await runs.call("POST", f"/v1/subscriptions/{annual}/stop", {"stop_date": "2025-01-01"})
    assert await credit_memos(runs) == []
    [stopped] = await runs.outbox(SUBSCRIPTION_STOPPED.type, annual)
    assert stopped["data"]["credited"] is False
