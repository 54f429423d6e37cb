"""Documents a run issues under each grouping and invoicing mode; posting drafts; immutability;
numbering; to-date credits (rule 29); errors, stop-on-error and retry-failed."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.numbering import reserve_numbers_in_tx
from federa.billing.documents.store import peek_blocks_in_tx
from federa.billing.domain.documents import DocumentDraft, DocumentKind
from federa.billing.domain.numbering import NumberBlock, is_gapless
from federa.billing.runs import chunks
from federa.billing.runs.worker import RunWorker, running_worker
from federa.shared.payment_reference import is_valid_reference, parse_reference
from federa.shared.testing.harness import RunningService
from federa.shared.testing.plugin import SettingsFactory

from .conftest import Billing
from .run_helpers import (
    ANNUAL_PRICE,
    MEDLEM_FIRST_CHARGE,
    Population,
    add_unpriceable,
    all_documents,
    finished,
    populate,
    start_run,
    subscribe,
)


@pytest.fixture(scope="session")
async def worker(
    billing: RunningService, settings_for: SettingsFactory
) -> AsyncIterator[RunWorker]:
    del billing
    async with running_worker(settings_for("billing")) as running:
        yield running


@pytest.fixture
def runs(api: Billing, worker: RunWorker) -> Billing:
    del worker
    return api


async def settings(runs: Billing, **values: Any) -> None:
    await runs.call("PUT", "/v1/invoicing-settings", values)


async def household(runs: Billing) -> tuple[Population, dict[str, Any]]:
    """Two members paid by the first one's account: the first with ANNUAL and MEDLEM, the
    second with ANNUAL. Three subscriptions, two members, one payer."""
    population = await populate(runs, 1)
    payer = await runs.call(
        "GET", "/v1/payer-accounts", params={"member_id": str(population.members[0])}
    )
    [account] = payer if isinstance(payer, list) else payer["items"]
    second = await runs.member_joins("Second", member_number=2)
    population.members.append(second)
    await subscribe(
        runs,
        population,
        second,
        "ANNUAL",
        "2025-01-01",
        ANNUAL_PRICE,
        payer_account_id=account["id"],
    )
    return population, account


@pytest.mark.parametrize(
    ("grouping", "documents", "lines"),
    [("per_subscription", 3, [1, 1, 1]), ("per_payer_member", 2, [1, 2]), ("per_payer", 1, [3])],
)
async def test_each_grouping_makes_its_documents(
    runs: Billing, grouping: str, documents: int, lines: list[int]
) -> None:
    await settings(runs, document_grouping=grouping)
    population, account = await household(runs)
    run = await finished(runs, (await start_run(runs))["id"])
    docs = await all_documents(runs, billing_run_id=run["id"])

    assert len(docs) == documents
    assert {d["payer_account_id"] for d in docs} == {account["id"]}
    full = [await runs.call("GET", f"/v1/documents/{d['id']}") for d in docs]
    assert sorted(len(d["lines"]) for d in full) == lines
    assert sum(d["total_amount"] for d in docs) == population.total
    if grouping == "per_payer":
        # Across members: the document names none, its lines keep theirs.
        assert full[0]["member_id"] is None
        assert {line["member_id"] for line in full[0]["lines"]} == {
            str(m) for m in population.members
        }


async def test_draft_mode_issues_drafts_that_post_into_numbered_invoices(runs: Billing) -> None:
    await settings(runs, invoicing_mode="draft_invoice")
    await populate(runs, 2)
    run = await finished(runs, (await start_run(runs))["id"])
    drafts = await all_documents(runs, billing_run_id=run["id"])
    assert Counter(d["kind"] for d in drafts) == {"draft_invoice": 2}
    assert {d["status"] for d in drafts} == {"open"}
    assert {d["invoice_no"] for d in drafts} == {None}

    posted = await runs.call("POST", f"/v1/documents/{drafts[1]['id']}/post")
    assert (posted["kind"], posted["status"], posted["posted_from"]) == (
        "invoice",
        "posted",
        "draft_invoice",
    )
    assert posted["invoice_no"] == "1"
    assert parse_reference(posted["payment_reference"])[1] == 1
    again = await runs.call("POST", f"/v1/documents/{drafts[1]['id']}/post", expect=409)
    assert again["type"].endswith("/document-not-a-draft")
    [event] = await runs.outbox("federa.billing.document.posted.v1", drafts[1]["id"])
    assert event["data"]["invoice_no"] == "1"


async def test_order_mode_numbers_orders_in_their_own_sequence(runs: Billing) -> None:
    await settings(runs, invoicing_mode="order")
    await populate(runs, 3)
    run = await finished(runs, (await start_run(runs))["id"])
    orders = await all_documents(runs, billing_run_id=run["id"])
    assert {d["kind"] for d in orders} == {"order"}
    assert sorted(int(d["document_no"]) for d in orders) == [1, 2, 3]
    assert {parse_reference(d["payment_reference"])[0].name for d in orders} == {"ORDER"}
    refused = await runs.call("POST", f"/v1/documents/{orders[0]['id']}/post", expect=409)
    assert refused["type"].endswith("/document-not-a-draft")


async def test_posted_documents_and_lines_are_immutable_in_the_database(runs: Billing) -> None:
    await populate(runs, 1)
    await finished(runs, (await start_run(runs))["id"])
    [doc] = await all_documents(runs)
    async with runs.service.runtime.db.sessions() as session:
        for statement in (
            "UPDATE documents SET total_amount = 1 WHERE id = :id",
            "DELETE FROM documents WHERE id = :id",
            "UPDATE document_lines SET amount = 1 WHERE document_id = :id",
        ):
            with pytest.raises(DBAPIError, match="immutable"):
                async with session.begin():
                    await session.execute(text(statement), {"id": doc["id"]})


async def test_vat_per_product_and_payment_terms_come_from_the_settings(runs: Billing) -> None:
    await settings(
        runs,
        payment_terms_days=30,
        product_accounting={"ANNUAL": {"vat_rate": "25", "posting_type": "MAG"}},
    )
    await populate(runs, 1, both_every=1)
    run = await finished(runs, (await start_run(runs))["id"])
    [doc] = await all_documents(runs, billing_run_id=run["id"])
    full = await runs.call("GET", f"/v1/documents/{doc['id']}")
    lines = {line["product_code"]: line for line in full["lines"]}
    assert lines["ANNUAL"]["vat_amount"] == ANNUAL_PRICE // 4
    assert lines["ANNUAL"]["posting_type"] == "MAG"
    assert lines["MEDLEM"]["vat_amount"] == 0  # dues: VAT-exempt by default
    assert full["vat_amount"] == ANNUAL_PRICE // 4
    assert full["total_amount"] == ANNUAL_PRICE + MEDLEM_FIRST_CHARGE + ANNUAL_PRICE // 4
    assert full["due_date"] == "2025-07-15"


async def test_numbers_are_gapless_with_two_workers(
    runs: Billing, settings_for: SettingsFactory
) -> None:
    """Two workers take chunks of two runs at once; every invoice number 1..n once."""
    await populate(runs, 40, both_every=1)
    async with running_worker(settings_for("billing")) as second:
        first_run = await start_run(runs, chunk_size=4, filters={"products": ["ANNUAL"]})
        second_run = await start_run(runs, chunk_size=4, filters={"products": ["MEDLEM"]})
        await finished(runs, first_run["id"])
        await finished(runs, second_run["id"])
        assert second.processed > 0
    docs = await all_documents(runs)
    assert len(docs) == 80
    assert is_gapless([int(d["document_no"]) for d in docs])
    assert all(is_valid_reference(d["payment_reference"]) for d in docs)
    processed_by = await _processed_by(runs, [first_run["id"], second_run["id"]])
    assert second.name in processed_by
    assert len(processed_by) >= 2


async def _processed_by(runs: Billing, run_ids: list[str]) -> set[str]:
    async with runs.service.runtime.db.sessions() as session:
        rows = await session.execute(
            text("SELECT DISTINCT processed_by FROM billing_run_chunks WHERE run_id = ANY(:ids)"),
            {"ids": run_ids},
        )
        return {r.processed_by for r in rows}


async def test_a_stopped_subscription_is_credited_for_the_days_after_its_to_date(
    runs: Billing,
) -> None:
    """Rule 29 / SPEC §5 row 12: charged 2025-01-01 to 2025-12-31 (450.00), stopped from
    2025-07-01 (to-date 2025-06-30): the next run credits 2025-07-01 to 2025-12-31, 184 of
    365 days, 450.00 x 184/365 = 226.849… → 226.85."""
    population = await populate(runs, 2, both_every=10)
    await finished(runs, (await start_run(runs))["id"])
    stopped = next(iter(population.subscriptions))
    await runs.call("POST", f"/v1/subscriptions/{stopped}/stop", {"stop_date": "2025-07-01"})

    run = await finished(
        runs,
        (await start_run(runs, posting_date="2025-07-02", bill_through_date="2025-07-31"))["id"],
    )
    assert (run["totals"]["credited"], run["totals"]["credit_memos"]) == (1, 1)
    [memo] = await all_documents(runs, kind="credit_memo")
    full = await runs.call("GET", f"/v1/documents/{memo['id']}")
    [line] = full["lines"]
    assert (line["period_from"], line["period_to"], line["amount"]) == (
        "2025-07-01",
        "2025-12-31",
        22685,
    )
    assert full["credit_reason"] == "to_date_adjustment"
    [credited] = await all_documents(
        runs, kind="invoice", member_id=str(population.member_of[stopped])
    )
    assert full["credits_document_id"] == credited["id"]
    [event] = await runs.outbox("federa.billing.credit_memo.issued.v1")
    assert event["data"]["credited_document_no"] == credited["document_no"]
    assert event["data"]["total_amount"] == 22685
    read = await runs.call("GET", f"/v1/subscriptions/{stopped}")
    assert read["billed_through"] == "2025-06-30"

    # Once only: the next run finds nothing to credit.
    again = await finished(
        runs,
        (await start_run(runs, posting_date="2025-07-02", bill_through_date="2025-07-31"))["id"],
    )
    assert again["subscriptions_selected"] == 0


async def test_a_blank_to_date_filter_credits_nothing(runs: Billing) -> None:
    population = await populate(runs, 1, both_every=10)
    await finished(runs, (await start_run(runs))["id"])
    only = next(iter(population.subscriptions))
    await runs.call("POST", f"/v1/subscriptions/{only}/stop", {"stop_date": "2025-07-01"})
    run = await finished(
        runs,
        (
            await start_run(
                runs,
                posting_date="2025-07-02",
                bill_through_date="2025-07-31",
                filters={"to_date": "blank"},
            )
        )["id"],
    )
    assert run["subscriptions_selected"] == 0
    assert await all_documents(runs, kind="credit_memo") == []


async def test_errors_are_logged_per_subscription_and_the_rest_is_charged(runs: Billing) -> None:
    population = await populate(runs, 6, both_every=10)
    broken = await add_unpriceable(runs, population)
    run = await finished(runs, (await start_run(runs, chunk_size=2))["id"])

    assert run["status"] == "completed"
    assert (run["totals"]["charged"], run["totals"]["failed"]) == (7, 1)
    errors = await runs.call("GET", f"/v1/billing-runs/{run['id']}/errors")
    [error] = errors["items"]
    assert (error["subscription_id"], error["code"]) == (broken, "missing-product-periods")

    # Fixed, then re-run: charged once, the error is marked retried.
    await runs.call(
        "POST",
        "/v1/products/LATE/periods:generate",
        {"start": "2026-01-01", "count": 2, "length": {"years": 1}},
    )
    retried = await runs.call("POST", f"/v1/billing-runs/{run['id']}/retry-failed", expect=202)
    assert retried["status"] == "running"
    done = await finished(runs, run["id"])
    assert (done["status"], done["totals"]["charged"], done["totals"]["failed"]) == (
        "completed",
        8,
        1,
    )
    assert (await runs.call("GET", f"/v1/billing-runs/{run['id']}/errors"))["items"] == []
    log = await runs.count("billing_log", "subscription_id = CAST(:s AS uuid)", s=broken)
    assert log == 1


async def test_a_chunk_that_finds_its_numbers_taken_meanwhile_numbers_again(
    runs: Billing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk prepares its rows and events with the numbers it expects before it reserves
    them; when another transaction reserved first, what is stored and published carries the
    numbers the chunk really got: after the others', none twice, none skipped."""
    await populate(runs, 3, both_every=100)
    taken: list[int] = []

    async def peek_then_lose_the_race(
        session: AsyncSession, tenant: str, drafts: Sequence[DocumentDraft]
    ) -> dict[DocumentKind, NumberBlock]:
        expected = await peek_blocks_in_tx(session, tenant, drafts)
        if not taken:
            async with runs.service.runtime.db.transaction() as other:
                block = await reserve_numbers_in_tx(other, tenant, DocumentKind.INVOICE, 2)
                taken.extend(block)
        return expected

    monkeypatch.setattr(chunks, "peek_blocks_in_tx", peek_then_lose_the_race)
    await finished(runs, (await start_run(runs))["id"])

    docs = await all_documents(runs)
    numbers = sorted(int(d["document_no"]) for d in docs)
    assert len(numbers) == 3
    assert is_gapless(taken + numbers)
    assert min(numbers) == max(taken) + 1
    events = {
        e["data"]["document_id"]: e["data"]
        for e in await runs.outbox("federa.billing.document.issued.v1")
    }
    for doc in docs:
        assert events[doc["id"]]["document_no"] == doc["document_no"]
        assert events[doc["id"]]["payment_reference"] == doc["payment_reference"]
