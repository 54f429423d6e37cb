"""E-invoicing to public customers (SPEC §2.2 rules 35, 35a-35c) end to end: the setup and a
payer's GLN/EAN through the API, a real run that fills every field (or logs the subscription
whose e-invoice would be incomplete), posting that refuses an incomplete document, and the
fields on the read model and on `document.issued` / `document.posted`."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from federa.billing.documents.posting import post_into_invoice_in_tx
from federa.billing.documents.queries import load_document
from federa.billing.scope import Scope
from federa.shared.contracts.billing import (
    DOCUMENT_ISSUED,
    DOCUMENT_POSTED,
    PAYER_ACCOUNT_E_INVOICE_CHANGED,
)
from federa.shared.http.problems import Problem

from .conftest import Billing
from .credit_helpers import credit_worker, runs
from .run_helpers import (
    ANNUAL_PRICE,
    Population,
    all_documents,
    create_annual,
    finished,
    start_run,
    subscribe,
)
from .test_payment_applied import payment_applied, publish

__all__ = ["credit_worker", "runs"]

GLN = "5790000000005"  # 579000000000 + GS1 check digit 5
SETUP = {
    "country_codes": {"DK": "DK"},
    "currency_codes": {"DKK": "DKK"},
    "payment_methods": [
        {"code": "EAN", "description": "E-invoice", "payment_channel": "Kontoverførsel"},
        {"code": "CASH", "payment_channel": "Kontant", "balancing_account": "1000"},
    ],
    "sales_unit_code": "STK",
}
COMPLETE = {
    "gln": GLN,
    "endpoint_scheme": "GLN",
    "country_code": "DK",
    "currency_code": "DKK",
    "unit_code": "STK",
    "payment_method": "EAN",
    "payment_channel": "Kontoverførsel",
}


async def payer_of(api: Billing, member: uuid.UUID) -> str:
    [account] = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    return str(account["id"])


async def customers(api: Billing, *names: str) -> tuple[Population, list[str], list[str]]:
    """One member per name, each with an ANNUAL subscription from 2025-01-01: the members'
    payer accounts and subscriptions, in order."""
    await create_annual(api)
    population = Population()
    payers, subscriptions = [], []
    for number, name in enumerate(names, start=1):
        member = await api.member_joins(name, member_number=number)
        population.members.append(member)
        payers.append(await payer_of(api, member))
        subscriptions.append(
            await subscribe(api, population, member, "ANNUAL", "2025-01-01", ANNUAL_PRICE)
        )
    return population, payers, subscriptions


async def make_public(api: Billing, payer: str, gln: str = GLN) -> dict[str, Any]:
    found: dict[str, Any] = await api.call(
        "PUT", f"/v1/payer-accounts/{payer}/e-invoice", {"gln": gln, "payment_method": "EAN"}
    )
    return found


async def reference(api: Billing, subscription: str, value: str | None) -> None:
    await api.call(
        "PUT", f"/v1/subscriptions/{subscription}/payer-reference", {"payer_reference": value}
    )


async def document_of(api: Billing, run_id: str, payer: str) -> dict[str, Any]:
    [doc] = await all_documents(api, billing_run_id=run_id, payer_account_id=payer)
    full: dict[str, Any] = await api.call("GET", f"/v1/documents/{doc['id']}")
    return full


async def pdf_text(api: Billing, document_id: str) -> str:
    response = await api.service.client.get(
        f"/v1/documents/{document_id}.pdf", headers=api.headers()
    )
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_the_setup_and_a_payers_gln_are_validated_and_published(api: Billing) -> None:
    assert (await api.call("GET", "/v1/e-invoice-settings"))["payment_methods"] == []
    saved = await api.call("PUT", "/v1/e-invoice-settings", SETUP)
    assert saved == {**SETUP, "payment_methods": [
        {"code": "EAN", "description": "E-invoice", "payment_channel": "Kontoverførsel",
         "balancing_account": None},
        {"code": "CASH", "description": "", "payment_channel": "Kontant",
         "balancing_account": "1000"},
    ]}  # fmt: skip
    assert await api.call("GET", "/v1/e-invoice-settings") == saved
    member = await api.member_joins("Municipality of Aarhus")
    payer = await payer_of(api, member)
    path = f"/v1/payer-accounts/{payer}/e-invoice"

    wrong_digit = await api.call("PUT", path, {"gln": "5790000000006"}, expect=422)
    assert wrong_digit["type"].endswith("/invalid-gln")
    assert "check digit" in wrong_digit["detail"]
    too_short = await api.call("PUT", path, {"gln": "57900"}, expect=422)
    assert too_short["type"].endswith("/invalid-gln")
    balancing = await api.call("PUT", path, {"gln": GLN, "payment_method": "CASH"}, expect=422)
    assert "no balancing account" in balancing["detail"]
    await api.call("PUT", path, {"gln": GLN, "payment_method": "NOPE"}, expect=422)
    await api.call("PUT", f"/v1/payer-accounts/{uuid.uuid4()}/e-invoice", {"gln": GLN}, expect=404)
    assert await api.outbox(PAYER_ACCOUNT_E_INVOICE_CHANGED.type, payer) == []

    done = await api.call("PUT", path, {"gln": "5790 0000 0000 5", "payment_method": "EAN"})
    assert (done["gln"], done["payment_method"]) == (GLN, "EAN")
    assert await api.call("GET", path) == done
    await api.call("PUT", path, {"gln": GLN, "payment_method": "EAN"})  # nothing changes
    [changed] = await api.outbox(PAYER_ACCOUNT_E_INVOICE_CHANGED.type, payer)
    assert changed["data"]["gln"] == GLN
    assert changed["data"]["payment_method"] == "EAN"


async def test_a_start_takes_the_payer_reference_and_the_reads_show_it(runs: Billing) -> None:
    await runs.call("PUT", "/v1/e-invoice-settings", SETUP)
    await runs.call("PUT", "/v1/invoicing-settings", {"document_grouping": "per_payer"})
    population, [public, _], [first, _] = await customers(runs, "Aarhus", "Anna Berg")
    await make_public(runs, public)
    aarhus, anna = population.members
    body = {"product": "ANNUAL", "from_date": "2025-01-01"}

    too_long = await runs.call(
        "POST",
        "/v1/subscriptions",
        {**body, "member_id": str(aarhus), "payer_reference": "x" * 36},
        expect=422,
    )
    assert "payer_reference" in str(too_long)
    # Refused before anything was stored.
    assert await runs.count("subscriptions", "tenant = :t", t=runs.tenant) == 2
    blank = await runs.call(
        "POST",
        "/v1/subscriptions",
        {**body, "member_id": str(anna), "payer_reference": "   "},
        expect=201,
    )
    assert blank["payer_reference"] is None
    started = await runs.call(
        "POST",
        "/v1/subscriptions",
        {**body, "member_id": str(aarhus), "payer_reference": " PO-77 "},
        expect=201,
    )
    assert started["payer_reference"] == "PO-77"
    read = await runs.call("GET", f"/v1/subscriptions/{started['id']}")
    assert read["payer_reference"] == "PO-77"
    await reference(runs, first, "PO-1")
    page = await runs.call("GET", "/v1/subscriptions")
    assert [(s["id"], s["payer_reference"]) for s in page["items"]] == [
        (first, "PO-1"),
        (list(population.subscriptions)[1], None),
        (blank["id"], None),
        (started["id"], "PO-77"),
    ]

    # The run takes the reference the start stored as the external document number.
    run = await finished(runs, (await start_run(runs))["id"])
    assert (run["totals"]["charged"], run["totals"]["failed"]) == (4, 0)
    invoice = await document_of(runs, run["id"], public)
    assert invoice["e_invoice"]["external_document_no"] == "PO-1, PO-77"


async def test_the_payer_account_read_shows_its_gln_and_payment_method(api: Billing) -> None:
    await api.call("PUT", "/v1/e-invoice-settings", SETUP)
    member = await api.member_joins("Municipality of Aarhus")
    payer = await payer_of(api, member)
    paper = await api.call("GET", f"/v1/payer-accounts/{payer}")
    assert (paper["gln"], paper["e_invoice_payment_method"]) == (None, None)

    await make_public(api, payer)
    read = await api.call("GET", f"/v1/payer-accounts/{payer}")
    assert (read["gln"], read["e_invoice_payment_method"]) == (GLN, "EAN")
    [listed] = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    assert listed == read
    [own] = await api.call("GET", "/v1/payer-accounts/options", params={"member_id": str(member)})
    assert own["account"] == read

    # Both null: a paper customer again, and the read says so.
    await api.call(
        "PUT", f"/v1/payer-accounts/{payer}/e-invoice", {"gln": None, "payment_method": None}
    )
    again = await api.call("GET", f"/v1/payer-accounts/{payer}")
    assert (again["gln"], again["e_invoice_payment_method"]) == (None, None)


async def test_a_run_fills_every_field_and_logs_the_subscription_without_a_reference(
    runs: Billing,
) -> None:
    await runs.call("PUT", "/v1/e-invoice-settings", SETUP)
    _, payers, subscriptions = await customers(runs, "Aarhus", "Odense", "Anna Berg")
    public, unreferenced, paper = payers
    await make_public(runs, public)
    await make_public(runs, unreferenced, "4000000000006")
    await reference(runs, subscriptions[0], "PO-4711")

    run = await finished(runs, (await start_run(runs))["id"])

    assert (run["totals"]["charged"], run["totals"]["failed"]) == (2, 1)
    [error] = (await runs.call("GET", f"/v1/billing-runs/{run['id']}/errors"))["items"]
    assert (error["subscription_id"], error["code"]) == (subscriptions[1], "e-invoice-incomplete")
    assert "external_document_no" in error["message"]
    assert await all_documents(runs, billing_run_id=run["id"], payer_account_id=unreferenced) == []

    invoice = await document_of(runs, run["id"], public)
    assert invoice["e_invoice"] == {
        **COMPLETE,
        "external_document_no": "PO-4711",
        "missing_fields": [],
    }
    [issued] = await runs.outbox(DOCUMENT_ISSUED.type, invoice["id"])
    assert issued["data"]["e_invoice"] == {**COMPLETE, "external_document_no": "PO-4711"}
    assert f"GLN/EAN {GLN}" in await pdf_text(runs, invoice["id"])
    on_paper = await document_of(runs, run["id"], paper)
    assert on_paper["e_invoice"] is None
    assert "GLN/EAN" not in await pdf_text(runs, on_paper["id"])
    [paper_issued] = await runs.outbox(DOCUMENT_ISSUED.type, on_paper["id"])
    assert paper_issued["data"]["e_invoice"] is None

    # Given its reference, the logged subscription is charged by retrying the run.
    await reference(runs, subscriptions[1], "Sag 12/345")
    await runs.call("POST", f"/v1/billing-runs/{run['id']}/retry-failed", expect=202)
    done = await finished(runs, run["id"])
    assert (done["totals"]["charged"], done["totals"]["failed"]) == (3, 1)
    retried = await document_of(runs, run["id"], unreferenced)
    assert retried["e_invoice"]["gln"] == "4000000000006"
    assert retried["e_invoice"]["external_document_no"] == "Sag 12/345"

    # Immutable with the posted invoice.
    with pytest.raises(DBAPIError, match="immutable"):
        async with runs.service.runtime.db.transaction() as session:
            await session.execute(
                text("UPDATE document_e_invoices SET gln = NULL WHERE document_id = :d"),
                {"d": invoice["id"]},
            )


async def test_a_missing_setup_logs_every_public_subscription_and_a_dry_run_says_so(
    runs: Billing,
) -> None:
    _, [public], [subscription] = await customers(runs, "Aarhus")
    # The payer names a GLN but the tenant never set e-invoicing up.
    await runs.call("PUT", f"/v1/payer-accounts/{public}/e-invoice", {"gln": GLN})
    await reference(runs, subscription, "PO-1")
    run = await finished(runs, (await start_run(runs, dry_run=True))["id"])
    [error] = (await runs.call("GET", f"/v1/billing-runs/{run['id']}/errors"))["items"]
    assert error["code"] == "e-invoice-incomplete"
    for name in ("country_code", "currency_code", "unit_code", "payment_method"):
        assert name in error["message"]


async def test_a_document_per_payer_carries_the_references_of_its_subscriptions(
    runs: Billing,
) -> None:
    await runs.call("PUT", "/v1/e-invoice-settings", SETUP)
    await runs.call("PUT", "/v1/invoicing-settings", {"document_grouping": "per_payer"})
    population, [public], [first] = await customers(runs, "Aarhus")
    second_member = await runs.member_joins("Employee", member_number=2)
    second = await subscribe(
        runs,
        population,
        second_member,
        "ANNUAL",
        "2025-01-01",
        ANNUAL_PRICE,
        payer_account_id=public,
    )
    await make_public(runs, public)
    await reference(runs, first, "PO-2")
    await reference(runs, second, "PO-1")
    run = await finished(runs, (await start_run(runs))["id"])
    invoice = await document_of(runs, run["id"], public)
    assert len(invoice["lines"]) == 2
    # Distinct references in subscription-number order.
    assert invoice["e_invoice"]["external_document_no"] == "PO-2, PO-1"


async def test_a_draft_is_posted_only_with_its_external_document_number(runs: Billing) -> None:
    await runs.call("PUT", "/v1/e-invoice-settings", SETUP)
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "draft_invoice"})
    _, [payer], _ = await customers(runs, "Aarhus")
    run = await finished(runs, (await start_run(runs))["id"])
    draft = await document_of(runs, run["id"], payer)
    assert draft["e_invoice"] is None  # a paper customer when the run issued it
    # It becomes a public customer before the draft is posted (a manual invoice).
    await make_public(runs, payer)

    refused = await runs.call("POST", f"/v1/documents/{draft['id']}/post", expect=409)
    assert refused["type"].endswith("/e-invoice-incomplete")
    assert refused["missing_fields"] == ["external_document_no"]
    assert "external_document_no" in refused["detail"]
    still = await runs.call("GET", f"/v1/documents/{draft['id']}")
    assert (still["kind"], still["status"], still["invoice_no"]) == ("draft_invoice", "open", None)
    assert await runs.outbox(DOCUMENT_POSTED.type, draft["id"]) == []

    given = await runs.call(
        "PUT",
        f"/v1/documents/{draft['id']}/external-document-no",
        {"external_document_no": " EAN-REF-9 "},
    )
    assert given["external_document_no"] == "EAN-REF-9"
    posted = await runs.call("POST", f"/v1/documents/{draft['id']}/post")
    assert (posted["kind"], posted["status"]) == ("invoice", "posted")
    assert posted["e_invoice"] == {
        **COMPLETE,
        "external_document_no": "EAN-REF-9",
        "missing_fields": [],
    }
    [event] = await runs.outbox(DOCUMENT_POSTED.type, draft["id"])
    assert event["data"]["e_invoice"] == {**COMPLETE, "external_document_no": "EAN-REF-9"}
    late = await runs.call(
        "PUT",
        f"/v1/documents/{draft['id']}/external-document-no",
        {"external_document_no": "other"},
        expect=409,
    )
    assert late["type"].endswith("/document-not-open")


async def post_order(api: Billing, document_id: str) -> None:
    """What a payment in full does to an order (`orders/payment.py`): post it into an invoice."""
    async with api.service.runtime.db.transaction() as session:
        row = await load_document(
            session, Scope(api.tenant, True), uuid.UUID(document_id), for_update=True
        )
        await post_into_invoice_in_tx(session, row, posted_from="order")


async def test_an_order_of_an_incomplete_e_invoice_payer_is_not_posted_into_an_invoice(
    runs: Billing,
) -> None:
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "order"})
    _, [payer], _ = await customers(runs, "Aarhus")
    run = await finished(runs, (await start_run(runs))["id"])
    order = await document_of(runs, run["id"], payer)
    # The payer gets a GLN afterwards, with no e-invoice setup in the tenant.
    await runs.call("PUT", f"/v1/payer-accounts/{payer}/e-invoice", {"gln": GLN})

    with pytest.raises(Problem) as refused:
        await post_order(runs, order["id"])
    assert refused.value.kind == "e-invoice-incomplete"
    assert refused.value.extensions["missing_fields"] == [
        "country_code",
        "currency_code",
        "unit_code",
        "payment_method",
        "payment_channel",
        "external_document_no",
    ]
    still = await runs.call("GET", f"/v1/documents/{order['id']}")
    assert (still["kind"], still["status"]) == ("order", "open")


async def test_an_incomplete_order_paid_in_full_is_booked_as_an_invoice_all_the_same(
    runs: Billing,
) -> None:
    """The payment is a fact: refusing the posting would leave money received unbooked (and
    the payment event redelivered until it is parked). The gap stays on the document."""
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "order"})
    _, [payer], _ = await customers(runs, "Aarhus")
    run = await finished(runs, (await start_run(runs))["id"])
    order = await document_of(runs, run["id"], payer)
    await runs.call("PUT", f"/v1/payer-accounts/{payer}/e-invoice", {"gln": GLN})

    await publish(
        runs,
        [
            payment_applied(
                runs, order, amount=order["total_amount"], remaining=0, value_date=date(2025, 6, 20)
            )
        ],
    )

    invoice = await runs.call("GET", f"/v1/documents/{order['id']}")
    assert (invoice["kind"], invoice["status"]) == ("invoice", "posted")
    assert "external_document_no" in invoice["e_invoice"]["missing_fields"]
    [posted] = await runs.outbox(DOCUMENT_POSTED.type, order["id"])
    assert posted["data"]["e_invoice"]["gln"] == GLN


async def test_a_complete_order_stays_complete_when_paid_after_the_setup_changed(
    runs: Billing,
) -> None:
    await runs.call("PUT", "/v1/e-invoice-settings", SETUP)
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "order"})
    _, [payer], [subscription] = await customers(runs, "Aarhus")
    await make_public(runs, payer)
    await reference(runs, subscription, "PO-7")
    run = await finished(runs, (await start_run(runs))["id"])
    order = await document_of(runs, run["id"], payer)
    assert order["e_invoice"]["missing_fields"] == []
    await runs.call("PUT", "/v1/e-invoice-settings", {**SETUP, "sales_unit_code": None})

    await post_order(runs, order["id"])
    invoice = await runs.call("GET", f"/v1/documents/{order['id']}")
    assert invoice["status"] == "posted"
    assert invoice["e_invoice"]["unit_code"] == "STK"  # as issued
    [event] = await runs.outbox(DOCUMENT_POSTED.type, order["id"])
    assert event["data"]["e_invoice"]["external_document_no"] == "PO-7"
