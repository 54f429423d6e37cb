"""Revenue deferral, *Periodisering* (rule 33), over invoices of a real billing run: deferred
lines carry their deferral account, recognitions move each line's share of a fiscal period
once, a late credit memo is caught up, and the balance runs down to zero."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from federa.billing.deferrals import recognition
from federa.billing.domain.deferral import DeferredLine, FiscalPeriod, schedule
from federa.shared.auth import Role
from federa.shared.contracts.billing import DEFERRAL_RECOGNISED, DOCUMENT_ISSUED

from .conftest import Billing
from .credit_helpers import credit_worker, runs, subscription_of
from .run_helpers import ANNUAL_PRICE, Population, all_documents, finished, populate, start_run

__all__ = ["credit_worker", "runs"]

DEFERRAL, REVENUE, MEMBERSHIP_REVENUE = "2710", "3010", "3000"
ACCOUNTING = {
    "ANNUAL": {"revenue_account": REVENUE, "deferral_account": DEFERRAL, "dimension_1": "MAG"},
    "MEDLEM": {"revenue_account": MEMBERSHIP_REVENUE},
}
MEMBERS = 3


def annual_share(month: str) -> int:
    """One ANNUAL line's (2025-01-01..2025-12-31) share of a month, by the domain's schedule."""
    line = DeferredLine(ANNUAL_PRICE, date(2025, 1, 1), date(2025, 12, 31), date(2025, 6, 15))
    return dict(schedule(line))[FiscalPeriod.parse(month)]


def through(month: str) -> int:
    return sum(annual_share(f"2025-{m:02d}") for m in range(1, int(month[5:]) + 1))


async def deferred_billing(runs: Billing) -> tuple[Population, list[dict[str, Any]]]:
    await runs.call("PUT", "/v1/invoicing-settings", {"product_accounting": ACCOUNTING})
    population = await populate(runs, MEMBERS)
    done = await finished(runs, (await start_run(runs))["id"])
    assert done["status"] == "completed"
    docs = await all_documents(runs, billing_run_id=done["id"])
    return population, [await runs.call("GET", f"/v1/documents/{d['id']}") for d in docs]


async def recognise(runs: Billing, period: str, key: str, expect: int = 201) -> Any:
    return await runs.call(
        "POST",
        "/v1/deferrals/recognitions",
        {"through_period": period},
        expect=expect,
        headers={**runs.headers(), "Idempotency-Key": key},
    )


async def balance(runs: Billing, on: str) -> dict[str, dict[str, int]]:
    found = await runs.call("GET", "/v1/deferrals/balance", params={"on": on})
    return {item["deferral_account"]: item for item in found["items"]}


async def test_a_schedule_without_an_account_is_refused_and_an_account_defers(
    api: Billing,
) -> None:
    await api.call("PUT", "/v1/invoicing-settings", {"product_accounting": ACCOUNTING})
    for refused in (
        {"revenue_account": REVENUE, "deferral_schedule": "per_fiscal_period"},
        {"deferral_account": DEFERRAL},  # nowhere to move it to
        {"revenue_account": REVENUE, "deferral_account": REVENUE},
    ):
        problem = await api.call(
            "PUT",
            "/v1/invoicing-settings",
            {"product_accounting": {"ANNUAL": refused}},
            expect=422,
        )
        assert problem["type"].endswith("/invalid-deferral")
    stored = await api.call("GET", "/v1/invoicing-settings")
    annual = stored["product_accounting"]["ANNUAL"]
    # Unchanged, and an account without a schedule defers per fiscal period.
    assert (annual["deferral_account"], annual["deferral_schedule"]) == (
        DEFERRAL,
        "per_fiscal_period",
    )
    assert stored["product_accounting"]["MEDLEM"]["deferral_schedule"] == "none"
    # The source's "Ingen periodisering": the account is kept, nothing is deferred.
    kept = {"revenue_account": REVENUE, "deferral_account": DEFERRAL, "deferral_schedule": "none"}
    saved = await api.call("PUT", "/v1/invoicing-settings", {"product_accounting": {"A": kept}})
    assert saved["product_accounting"]["A"]["deferral_schedule"] == "none"


async def test_recognitions_move_each_share_once_and_the_balance_runs_down(
    runs: Billing, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of two lines: the keyset walk over the deferred lines is part of what is tested.
    monkeypatch.setattr(recognition, "BATCH_SIZE", 2)
    await runs.call(
        "PUT",
        "/v1/deferrals/setup",
        {"fiscal_year_first_month": 7, "journal_type": "GENERELT", "journal_name": "PERIODE"},
    )
    population, docs = await deferred_billing(runs)

    # At issue: ANNUAL lines sit on the deferral account, MEDLEM lines go to revenue.
    lines = [line for doc in docs for line in doc["lines"]]
    annual = [line for line in lines if line["product_code"] == "ANNUAL"]
    assert len(annual) == MEMBERS
    assert {(line["deferral_account"], line["revenue_account"]) for line in annual} == {
        (DEFERRAL, REVENUE)
    }
    assert {line["deferral_account"] for line in lines if line["product_code"] == "MEDLEM"} == {
        None
    }
    issued = await runs.outbox(DOCUMENT_ISSUED.type)
    assert sorted(
        line["deferral_account"] or "" for e in issued for line in e["data"]["lines"]
    ) == sorted(line["deferral_account"] or "" for line in lines)
    deferred = MEMBERS * ANNUAL_PRICE
    assert (await balance(runs, "2025-06-15"))[DEFERRAL]["balance"] == deferred
    assert await balance(runs, "2025-06-14") == {}

    # Through May: the invoices of June 15 are not on the deferral account yet.
    may = await recognise(runs, "2025-05", "may")
    assert (may["amount"], may["shares"], may["journal"]) == (0, 0, [])
    assert await runs.outbox(DEFERRAL_RECOGNISED.type) == []

    # Through June: January-June, all booked in June (the invoices' period).
    june = await recognise(runs, "2025-06", "june")
    assert june["first_period"] == "2025-06"
    assert june["amount"] == MEMBERS * through("2025-06")
    assert (june["lines"], june["shares"]) == (MEMBERS, MEMBERS * 6)
    assert [
        (j["fiscal_period"], j["deferral_account"], j["revenue_account"], j["dimension_1"])
        for j in june["journal"]
    ] == [("2025-06", DEFERRAL, REVENUE, "MAG")]
    [event] = await runs.outbox(DEFERRAL_RECOGNISED.type)
    data = event["data"]
    assert (data["fiscal_period"], data["period_no"], data["fiscal_year_start"]) == (
        "2025-06",
        12,
        "2024-07-01",
    )
    assert (data["posting_date"], data["journal_name"], data["amount"]) == (
        "2025-06-30",
        "PERIODE",
        june["amount"],
    )
    assert data["entries"][0]["amount"] == june["amount"]
    assert (await balance(runs, "2025-06-29"))[DEFERRAL]["recognised"] == 0
    assert (await balance(runs, "2025-06-30"))[DEFERRAL] == {
        "deferral_account": DEFERRAL,
        "deferred": deferred,
        "recognised": june["amount"],
        "balance": deferred - june["amount"],
    }

    # The same key again: the first result, no new event. Another key for June: 409.
    again = await recognise(runs, "2025-06", "june", expect=200)
    assert again["id"] == june["id"]
    refused = await recognise(runs, "2025-06", "june-again", expect=409)
    assert refused["type"].endswith("/fiscal-period-recognised")
    assert len(await runs.outbox(DEFERRAL_RECOGNISED.type)) == 1
    assert await runs.count("deferral_recognitions", "tenant = :t", t=runs.tenant) == 2
    # The fiscal year's numbering is fixed now.
    fixed = await runs.call(
        "PUT", "/v1/deferrals/setup", {"fiscal_year_first_month": 1}, expect=409
    )
    assert fixed["type"].endswith("/fiscal-year-in-use")

    # A credit memo dated into closed June: its January-June shares are caught up in July.
    credited = await subscription_of(runs, population, "ANNUAL", member_index=0)
    await runs.call(
        "POST",
        f"/v1/subscriptions/{credited}/credit-latest",
        {"posting_date": "2025-06-20"},
        expect=201,
    )
    july = await recognise(runs, "2025-07", "july")
    assert july["amount"] == (MEMBERS - 1) * annual_share("2025-07") - through("2025-06")
    assert {j["fiscal_period"] for j in july["journal"]} == {"2025-07"}
    july_event = (await runs.outbox(DEFERRAL_RECOGNISED.type))[-1]["data"]
    assert (july_event["period_no"], july_event["fiscal_year_start"]) == (1, "2025-07-01")
    deferred -= ANNUAL_PRICE
    assert (await balance(runs, "2025-07-31"))[DEFERRAL]["balance"] == (MEMBERS - 1) * (
        ANNUAL_PRICE - through("2025-07")
    )

    # Through December the deferral account is empty, to the minor unit; every line's share
    # of every month was taken exactly once.
    await recognise(runs, "2025-12", "december")
    assert (await balance(runs, "2025-12-31"))[DEFERRAL] == {
        "deferral_account": DEFERRAL,
        "deferred": deferred,
        "recognised": deferred,
        "balance": 0,
    }
    assert (
        await runs.count(
            "deferral_shares s JOIN documents d ON d.id = s.document_id",
            "d.tenant = :t",
            t=runs.tenant,
        )
        == (MEMBERS + 1) * 12
    )
    page = await runs.call("GET", "/v1/deferrals", params={"limit": 2})
    assert (page["total"], [r["through_period"] for r in page["items"]]) == (
        4,
        ["2025-12", "2025-07"],
    )
    one = await runs.call("GET", f"/v1/deferrals/{june['id']}")
    assert one["journal"] == june["journal"]


async def test_deferred_revenue_is_the_federations_and_bad_periods_change_nothing(
    runs: Billing,
) -> None:
    branch = runs.headers(Role.READ, orgs=("00000000-0000-4000-8000-000000000001",))
    for path in ("/v1/deferrals", "/v1/deferrals/balance"):
        problem = await runs.call("GET", path, expect=403, headers=branch)
        assert problem["type"].endswith("/federation-scope-required")
    for bad in ("2025-13", "2025-6", "June"):
        await recognise(runs, bad, f"bad-{bad}", expect=422)
    assert await runs.count("deferral_recognitions", "tenant = :t", t=runs.tenant) == 0
    unknown = await runs.call(
        "GET", "/v1/deferrals/00000000-0000-4000-8000-000000000000", expect=404
    )
    assert unknown["type"].endswith("/recognition-not-found")
    setup = await runs.call("GET", "/v1/deferrals/setup")
    assert setup == {"fiscal_year_first_month": 1, "journal_type": None, "journal_name": None}
