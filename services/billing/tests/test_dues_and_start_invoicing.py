"""Dues invoicing for tenants without products (rule 38) and invoicing on start (rule 6)."""

from __future__ import annotations

from typing import Any

from federa.shared.contracts.billing import CREDIT_MEMO_ISSUED, DOCUMENT_ISSUED

from .conftest import Billing
from .credit_helpers import credit_worker, runs
from .run_helpers import ANNUAL_PRICE, all_documents, create_annual, finished, start_run

__all__ = ["credit_worker", "runs"]


async def dues_classes(api: Billing) -> None:
    await api.call(
        "PUT",
        "/v1/dues-classes/A",
        {"description": "Adult dues", "amount": 50000, "account": "3010"},
    )
    await api.call("PUT", "/v1/dues-classes/Y", {"description": "Youth dues", "amount": 20000})


async def test_dues_are_invoiced_once_per_member_and_date_then_credited(api: Billing) -> None:
    await dues_classes(api)
    adult = await api.member_joins("Adult", category="A")
    youth = await api.member_joins("Youth", category="Y", member_number=2)
    none = await api.member_joins("No class", member_number=3)

    first = await api.call(
        "POST", "/v1/dues-invoicing", {"type": "invoice", "posting_date": "2025-03-01"}
    )

    assert (first["documents"], first["amount"]) == (2, 70000)
    assert first["skipped"] == [{"member_id": str(none), "reason": "no-dues-class"}]
    invoices = {d["member_id"]: d for d in await all_documents(api, kind="invoice")}
    adult_invoice = await api.call("GET", f"/v1/documents/{invoices[str(adult)]['id']}")
    assert (adult_invoice["total_amount"], adult_invoice["due_date"]) == (50000, "2025-03-15")
    [line] = adult_invoice["lines"]
    assert (line["kind"], line["description"], line["revenue_account"]) == (
        "dues",
        "Adult dues",
        "3010",
    )
    assert invoices[str(youth)]["total_amount"] == 20000
    assert len(await api.outbox(DOCUMENT_ISSUED.type)) == 2

    again = await api.call(
        "POST", "/v1/dues-invoicing", {"type": "invoice", "posting_date": "2025-03-01"}
    )
    assert again["documents"] == 0
    assert sorted(s["reason"] for s in again["skipped"]) == ["already", "already", "no-dues-class"]

    credit = await api.call(
        "POST",
        "/v1/dues-invoicing",
        {"type": "credit", "posting_date": "2025-04-01", "member_ids": [str(adult)]},
    )
    [memo_id] = credit["document_ids"]
    memo = await api.call("GET", f"/v1/documents/{memo_id}")
    assert (memo["kind"], memo["credit_reason"], memo["total_amount"]) == (
        "credit_memo",
        "dues",
        50000,
    )
    assert memo["credits_document_id"] == adult_invoice["id"]
    [event] = await api.outbox(CREDIT_MEMO_ISSUED.type, memo_id)
    assert event["data"]["credited_document_no"] == adult_invoice["document_no"]


async def test_a_named_dues_class_applies_to_the_members_selected(api: Billing) -> None:
    await dues_classes(api)
    member = await api.member_joins("No class")
    named = await api.call(
        "POST",
        "/v1/dues-invoicing",
        {"posting_date": "2025-03-01", "member_ids": [str(member)], "dues_class": "Y"},
    )
    assert (named["documents"], named["amount"], named["skipped"]) == (1, 20000, [])
    unknown = await api.call(
        "POST",
        "/v1/dues-invoicing",
        {"posting_date": "2025-05-01", "dues_class": "NOPE"},
        expect=404,
    )
    assert unknown["type"].endswith("/unknown-dues-class")
    assert len(await all_documents(api)) == 1


async def start(runs: Billing, product: str = "ANNUAL") -> dict[str, Any]:
    member = await runs.member_joins("Starter")
    started: dict[str, Any] = await runs.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": product, "from_date": "2025-01-01"},
        expect=201,
    )
    return started


async def test_invoicing_on_start_charges_the_first_period_once(runs: Billing) -> None:
    await runs.call("PUT", "/v1/invoicing-on-start", {"mode": "invoice"})
    await create_annual(runs)

    started = await start(runs)

    assert (started["billed_from"], started["billed_through"]) == ("2025-01-01", "2025-12-31")
    [invoice] = await all_documents(runs, member_id=started["member_id"])
    assert (invoice["kind"], invoice["status"], invoice["total_amount"]) == (
        "invoice",
        "posted",
        ANNUAL_PRICE,
    )
    run = await finished(runs, invoice["billing_run_id"])
    assert run["filters"]["on_start"] is True
    # A regular run through the same period charges nothing more.
    later = await finished(runs, (await start_run(runs))["id"])
    assert later["totals"]["charged"] == 0
    assert len(await all_documents(runs, member_id=started["member_id"])) == 1


async def test_invoicing_on_start_issues_the_mode_asked_for_or_nothing(runs: Billing) -> None:
    await create_annual(runs)
    assert (await runs.call("GET", "/v1/invoicing-on-start"))["mode"] == "none"
    quiet = await start(runs)
    assert quiet["billed_through"] is None
    assert await all_documents(runs) == []

    await runs.call("PUT", "/v1/invoicing-on-start", {"mode": "order"})
    ordered = await start(runs)
    [order] = await all_documents(runs, member_id=ordered["member_id"])
    assert (order["kind"], order["status"]) == ("order", "open")
    bad = await runs.call("PUT", "/v1/invoicing-on-start", {"mode": "sometimes"}, expect=422)
    assert bad["status"] == 422
