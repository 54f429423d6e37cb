"""Mass credit of a product (rule 37) over invoices of a real billing run: every posted line
of the product in the range once, nothing else; a retry credits nothing twice."""

from __future__ import annotations

from typing import Any

from federa.shared.contracts.billing import CREDIT_MEMO_ISSUED

from .conftest import Billing
from .credit_helpers import billed, credit_worker, runs
from .run_helpers import ANNUAL_PRICE, all_documents

__all__ = ["credit_worker", "runs"]

REQUEST = {
    "product": "ANNUAL",
    "posting_from": "2025-06-01",
    "posting_to": "2025-06-30",
    "document_date": "2025-07-01",
    "description": "Annual dues withdrawn",
}


async def memos(runs: Billing) -> list[dict[str, Any]]:
    found = await all_documents(runs, kind="credit_memo")
    return [await runs.call("GET", f"/v1/documents/{d['id']}") for d in found]


async def test_a_mass_credit_credits_every_line_of_the_product_once(runs: Billing) -> None:
    population, docs = await billed(runs, 3)
    key = {**runs.headers(), "Idempotency-Key": "withdraw-annual-2025"}

    done = await runs.call("POST", "/v1/mass-credits", REQUEST, expect=201, headers=key)

    assert (done["status"], done["documents_total"], done["documents_done"]) == (
        "completed",
        3,
        3,
    )
    assert (done["credit_memos"], done["amount"]) == (3, 3 * ANNUAL_PRICE)
    issued = await memos(runs)
    assert {m["credits_document_id"] for m in issued} == {d["id"] for d in docs}
    assert {(m["credit_reason"], m["posting_date"]) for m in issued} == {
        ("mass_credit", "2025-07-01")
    }
    lines = [line for m in issued for line in m["lines"]]
    assert {(line["product_code"], line["description"]) for line in lines} == {
        ("ANNUAL", "Annual dues withdrawn")
    }
    assert len(await runs.outbox(CREDIT_MEMO_ISSUED.type)) == 3
    assert await runs.call("GET", f"/v1/mass-credits/{done['id']}") == done

    # The same key: the same mass credit. A new request: nothing left to credit.
    again = await runs.call("POST", "/v1/mass-credits", REQUEST, headers=key)
    assert again["id"] == done["id"]
    fresh = await runs.call("POST", "/v1/mass-credits", REQUEST, expect=201)
    assert (fresh["documents_total"], fresh["credit_memos"], fresh["amount"]) == (0, 0, 0)
    assert len(await memos(runs)) == 3
    del population


async def test_bad_mass_credits_are_refused_and_change_nothing(runs: Billing) -> None:
    await billed(runs)
    backwards = await runs.call(
        "POST",
        "/v1/mass-credits",
        {**REQUEST, "posting_from": "2025-06-30", "posting_to": "2025-06-01"},
        expect=422,
    )
    assert backwards["type"].endswith("/impossible-dates")
    unknown = await runs.call(
        "POST", "/v1/mass-credits", {**REQUEST, "product": "NOSUCH"}, expect=404
    )
    assert unknown["status"] == 404
    assert await runs.count("mass_credits", "tenant = :t", t=runs.tenant) == 0
    assert await memos(runs) == []
    outside = await runs.call(
        "POST",
        "/v1/mass-credits",
        {**REQUEST, "posting_from": "2025-07-01", "posting_to": "2025-12-31"},
        expect=201,
    )
    assert outside["credit_memos"] == 0
    assert await memos(runs) == []
