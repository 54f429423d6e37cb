"""The exceptions queue and its actions; refunds and their pain.001 file."""

from __future__ import annotations

from typing import Any

from lxml import etree
from sqlalchemy import text

from federa.payments.sources.samples import SamplePayment, camt
from federa.shared.contracts.payments import (
    EXCEPTION_RESOLVED,
    GIFT_RECORDED,
    PAYMENT_APPLIED,
    REFUND_ISSUED,
    WRITEOFF_RECORDED,
)
from federa.shared.payment_reference import ReferenceSeries, payment_reference

from .conftest import Payments

BANK_SINGLE_NO_WRITEOFF = {
    "sources": {"bank": {"strategy": "single_charge", "overpayment": "exception"}},
    "writeoff_enabled": False,
}


async def one_exception(api: Payments, reason: str) -> dict[str, Any]:
    page = await api.call("GET", "/v1/exceptions", params={"reason": reason})
    [exception] = page["items"]
    assert isinstance(exception, dict)
    return exception


async def test_a_partial_payment_waits_until_a_person_applies_it_and_writes_off_the_rest(
    api: Payments,
) -> None:
    await api.setup(**BANK_SINGLE_NO_WRITEOFF)
    payer = await api.payer()
    [doc] = await api.invoices(payer, 50000)
    await api.import_file(
        camt(
            [SamplePayment(48000, reference=doc.reference, bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    exception = await one_exception(api, "partial_payment")
    assert (exception["amount"], exception["payer_account_id"]) == (48000, str(payer))
    assert await api.remaining(doc) == [50000]  # nothing posted while it waits
    assert await api.outbox(PAYMENT_APPLIED.type) == []

    resolved = await api.call(
        "POST",
        f"/v1/exceptions/{exception['exception_id']}/apply",
        {"items": [{"document_id": str(doc.document_id), "amount": 48000, "write_off_rest": True}]},
    )
    assert (resolved["status"], resolved["action"]) == ("resolved", "apply")
    item = await api.item(doc)
    assert (item["remaining"], item["closed_how"]) == (0, "paid")
    assert [e["kind"] for e in item["entries"]] == ["document", "application", "writeoff"]
    [writeoff] = await api.outbox(WRITEOFF_RECORDED.type)
    assert (writeoff["data"]["amount"], writeoff["data"]["reason"]) == (
        2000,
        "exception_resolution",
    )
    [done] = await api.outbox(EXCEPTION_RESOLVED.type)
    assert done["data"]["action"] == "apply"

    again = await api.service.client.post(
        f"/v1/exceptions/{exception['exception_id']}/gift", headers=api.headers()
    )
    assert again.status_code == 409
    assert (await api.reconciliation())["balanced"] is True


async def test_applying_without_saying_what_to_do_with_the_rest_changes_nothing(
    api: Payments,
) -> None:
    await api.setup(**BANK_SINGLE_NO_WRITEOFF)
    payer = await api.payer()
    [doc] = await api.invoices(payer, 50000)
    await api.import_file(
        camt(
            [SamplePayment(48000, reference=doc.reference, bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    exception = await one_exception(api, "partial_payment")
    response = await api.service.client.post(
        f"/v1/exceptions/{exception['exception_id']}/apply",
        json={"items": [{"document_id": str(doc.document_id), "amount": 40000}]},
        headers=api.headers(),
    )
    assert response.status_code == 422
    assert "rest" in response.json()["detail"]
    assert await api.remaining(doc) == [50000]
    assert (await one_exception(api, "partial_payment"))["status"] == "open"


async def test_an_unknown_payers_payment_moved_to_its_payer_is_applied_there(
    api: Payments,
) -> None:
    payer = await api.payer()
    [doc] = await api.invoices(payer, 30000)
    unknown = payment_reference(ReferenceSeries.INVOICE, 8_888_888)
    await api.import_file(
        camt(
            [SamplePayment(30000, reference=unknown, bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    exception = await one_exception(api, "unknown_payer")
    await api.setup(default_matching_mode="balance")
    resolved = await api.call(
        "POST",
        f"/v1/exceptions/{exception['exception_id']}/move",
        {"payer_account_id": str(payer)},
    )
    assert resolved["resolution"]["payer_account_id"] == str(payer)
    assert await api.remaining(doc) == [0]
    [payment] = (await api.call("GET", "/v1/payments"))["items"]
    assert (payment["payer_account_id"], payment["status"]) == (str(payer), "applied")
    assert (await api.reconciliation())["balanced"] is True


async def test_an_overpayment_kept_as_an_exception_becomes_a_gift_when_a_person_says_so(
    api: Payments,
) -> None:
    await api.setup(**BANK_SINGLE_NO_WRITEOFF)
    payer = await api.payer()
    [doc] = await api.invoices(payer, 30000)
    await api.import_file(
        camt(
            [SamplePayment(31000, reference=doc.reference, bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    assert await api.remaining(doc) == [0]  # the invoice is paid at once
    exception = await one_exception(api, "overpayment")
    assert exception["amount"] == 1000
    balance = await api.call("GET", f"/v1/balances/payers/{payer}")
    assert balance["unapplied"] == 1000
    await api.call("POST", f"/v1/exceptions/{exception['exception_id']}/gift")
    [gift] = await api.outbox(GIFT_RECORDED.type)
    assert (gift["data"]["amount"], gift["data"]["origin"]) == (1000, "exception_resolution")
    assert (await api.reconciliation())["balanced"] is True


async def test_a_double_payment_is_refunded_in_a_pain001_file(api: Payments) -> None:
    payer = await api.payer()
    [doc] = await api.invoices(payer, 30000)
    paid = SamplePayment(30000, reference=doc.reference, bank_reference=f"{api.tenant}-1")
    twice = SamplePayment(
        30000,
        reference=doc.reference,
        bank_reference=f"{api.tenant}-2",
        debtor_name="Per Holm",
        debtor_iban="DK9520000123456789",
    )
    await api.import_file(camt([paid, twice], message_id=api.tenant))
    exception = await one_exception(api, "paid_twice")
    await api.call("POST", f"/v1/exceptions/{exception['exception_id']}/refund", {})
    [refund] = (await api.call("GET", "/v1/refunds", params={"pending": True}))["items"]
    assert (refund["amount"], refund["iban"], refund["creditor_name"]) == (
        30000,
        "DK9520000123456789",
        "Per Holm",
    )
    assert len(await api.outbox(REFUND_ISSUED.type)) == 1

    export = await api.call(
        "POST", "/v1/refund-exports", expect=201, headers=api.headers() | {"Idempotency-Key": "x1"}
    )
    assert (export["refunds"], export["amount"]) == (1, 30000)
    same = await api.call(
        "POST", "/v1/refund-exports", expect=200, headers=api.headers() | {"Idempotency-Key": "x1"}
    )
    assert same["export_id"] == export["export_id"]
    nothing = await api.service.client.post("/v1/refund-exports", headers=api.headers())
    assert nothing.status_code == 409

    xml = await api.call("GET", f"/v1/refund-exports/{export['export_id']}/pain001")
    root = etree.fromstring(xml)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "1"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "300.00"
    tx = "p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf"
    assert root.findtext(f"{tx}/p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == "DK9520000123456789"
    assert root.find(f"{tx}/p:Amt/p:InstdAmt", namespaces=ns).get("Ccy") == "DKK"  # type: ignore[union-attr]
    exported = (await api.call("GET", "/v1/refunds", params={"pending": False}))["items"]
    assert [r["status"] for r in exported] == ["exported"]
    assert (await api.reconciliation())["balanced"] is True


async def test_a_reversal_is_new_entries_and_the_money_waits_to_be_applied_again(
    api: Payments,
) -> None:
    await api.setup(writeoff_enabled=True, writeoff_max=1000)
    payer = await api.payer()
    [doc] = await api.invoices(payer, 30000)
    await api.import_file(
        camt(
            [SamplePayment(29500, reference=doc.reference, bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    [payment] = (await api.call("GET", "/v1/payments"))["items"]
    reversal = await api.call("POST", f"/v1/payments/{payment['payment_id']}/reversal")
    assert reversal["amount"] == 29500
    item = await api.item(doc)
    assert (item["status"], item["remaining"]) == ("open", 30000)
    assert [(e["kind"], e["amount"]) for e in item["entries"]] == [
        ("document", 30000),
        ("application", 29500),
        ("writeoff", 500),
        ("application", -29500),
        ("writeoff", -500),
    ]
    negative = (await api.outbox(PAYMENT_APPLIED.type))[-1]["data"]
    assert [a["amount"] for a in negative["allocations"]] == [-29500]
    exception = await one_exception(api, "reversed")
    assert exception["amount"] == 29500
    assert (await api.reconciliation())["balanced"] is True

    await api.call(
        "POST",
        f"/v1/exceptions/{exception['exception_id']}/apply",
        {"items": [{"document_id": str(doc.document_id), "amount": 29500}], "rest": None},
    )
    assert await api.remaining(doc) == [500]
    again = await api.service.client.post(
        f"/v1/payments/{payment['payment_id']}/reversal", headers=api.headers()
    )
    assert again.status_code == 200  # the new application can be reversed in turn
    assert (await api.reconciliation())["balanced"] is True


async def test_the_reconciliation_names_a_payer_whose_ledger_does_not_add_up(
    api: Payments,
) -> None:
    payer = await api.payer()
    [doc] = await api.invoices(payer, 30000)
    assert (await api.reconciliation())["balanced"] is True
    async with api.service.runtime.db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO ledger_entries (tenant, kind, payer_account_id, document_id, amount,"
                " currency, entry_date) VALUES (:t, 'application', :p, :d, 100, 'DKK', now())"
            ),
            {"t": api.tenant, "p": payer, "d": doc.document_id},
        )
    result = await api.reconciliation()
    assert result["balanced"] is False
    assert [
        (m["payer"], m["ledger_open"], m["items_open"]) for m in result["payer_mismatches"]
    ] == [(str(payer), 29900, 30000)]


async def test_a_payment_moved_to_a_payer_in_open_item_mode_waits_for_a_named_document(
    api: Payments,
) -> None:
    await api.setup(sources={"bank": {"overpayment": "exception"}})
    unknown = payment_reference(ReferenceSeries.INVOICE, 7_777_777)
    await api.import_file(
        camt(
            [SamplePayment(5000, reference=unknown, bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    exception = await one_exception(api, "unknown_payer")
    payer = await api.payer()
    await api.call(
        "POST",
        f"/v1/exceptions/{exception['exception_id']}/move",
        {"payer_account_id": str(payer)},
    )
    # Rule 2: open-item matching applies only to a named document; the move names none.
    moved = await one_exception(api, "no_document_named")
    assert (moved["payer_account_id"], moved["amount"]) == (str(payer), 5000)
    [payment] = (await api.call("GET", "/v1/payments"))["items"]
    assert (payment["payer_account_id"], payment["status"]) == (str(payer), "exception")
    await api.call("POST", f"/v1/exceptions/{moved['exception_id']}/refund", {})
    [payment] = (await api.call("GET", "/v1/payments"))["items"]
    assert payment["status"] == "refunded"
    # received, unidentified, refund.issued: one version each, in order, whatever resolved it.
    assert await api.versions(payment["payment_id"]) == [1, 2, 3]
    assert await api.versions(moved["exception_id"]) == [1, 2]
    assert (await api.reconciliation())["balanced"] is True


async def test_money_that_came_before_its_invoice_is_applied_once_the_invoice_is_open(
    api: Payments,
) -> None:
    await api.setup(default_matching_mode="balance", sources={"bank": {"overpayment": "exception"}})
    payer = await api.payer()
    number = api.payer_numbers[payer]
    await api.import_file(
        camt(
            [SamplePayment(30000, text=f"kundenr {number}", bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    waiting = await one_exception(api, "nothing_open")
    [doc] = await api.invoices(payer, 30000)
    resolved = await api.call("POST", f"/v1/exceptions/{waiting['exception_id']}/reapply")
    assert resolved["action"] == "reapply"
    assert await api.remaining(doc) == [0]
    assert (await api.reconciliation())["balanced"] is True
