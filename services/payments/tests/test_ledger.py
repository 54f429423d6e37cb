"""The receivable ledger fed by billing's events, balances, ageing and the reconciliation."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from federa.shared.contracts.billing import (
    CREDIT_MEMO_ISSUED,
    DOCUMENT_CANCELLED,
    DOCUMENT_POSTED,
    CreditMemoIssuedV1,
    DocumentCancelledV1,
    DocumentPostedV1,
)
from federa.shared.contracts.payments import RECEIVABLE_CLOSED, WRITEOFF_RECORDED
from federa.shared.envelope import new_event

from .conftest import Payments


async def test_an_issued_invoice_opens_an_item_and_a_draft_opens_only_when_posted(
    api: Payments,
) -> None:
    payer = await api.payer()
    invoice, issued = api.document_event(payer, 45000)
    draft, drafted = api.document_event(payer, 30000, kind="draft_invoice")
    await api.publish([issued, drafted])

    item = await api.item(invoice)
    assert (item["kind"], item["amount"], item["remaining"], item["status"]) == (
        "invoice",
        45000,
        45000,
        "open",
    )
    assert item["posting_types"] == ["DUES"]
    assert [e["kind"] for e in item["entries"]] == ["document"]
    page = await api.call("GET", "/v1/open-items", params={"payer_account_id": str(payer)})
    assert [i["document_id"] for i in page["items"]] == [str(invoice.document_id)]

    posted = DocumentPostedV1(
        document_id=draft.document_id,
        posted_from="draft_invoice",
        invoice_no="77",
        payer_account_id=payer,
        posting_date=date(2026, 1, 5),
        due_date=date(2026, 2, 5),
        currency="DKK",
        total_amount=30000,
        payment_reference=draft.reference,
    )
    await api.publish(
        [
            new_event(
                DOCUMENT_POSTED,
                posted,
                subject=str(draft.document_id),
                tenant=api.tenant,
                aggregate_version=2,
            )
        ]
    )
    opened = await api.item(draft)
    assert (opened["document_no"], opened["remaining"], opened["status"]) == ("77", 30000, "open")


async def test_a_cancelled_order_closes_at_zero_and_a_credit_memo_reduces_the_credited_item(
    api: Payments,
) -> None:
    payer = await api.payer()
    order, order_issued = api.document_event(payer, 20000, kind="order")
    invoice, invoice_issued = api.document_event(payer, 50000)
    await api.publish([order_issued, invoice_issued])
    cancelled = DocumentCancelledV1(
        document_id=order.document_id,
        kind="order",
        document_no=order.document_no,
        payer_account_id=payer,
        reason="subscription_stopped",
    )
    memo = CreditMemoIssuedV1(
        credit_memo_id=uuid.uuid4(),
        credit_memo_no="C1",
        credited_document_id=invoice.document_id,
        payer_account_id=payer,
        posting_date=date(2026, 2, 1),
        currency="DKK",
        total_amount=60000,
        reason="stop",
    )
    await api.publish(
        [
            new_event(
                DOCUMENT_CANCELLED,
                cancelled,
                subject=str(order.document_id),
                tenant=api.tenant,
                aggregate_version=2,
            ),
            new_event(
                CREDIT_MEMO_ISSUED,
                memo,
                subject=str(memo.credit_memo_id),
                tenant=api.tenant,
                aggregate_version=1,
            ),
        ]
    )
    order_item, invoice_item = await api.item(order), await api.item(invoice)
    assert (order_item["status"], order_item["closed_how"], order_item["remaining"]) == (
        "closed",
        "cancelled",
        0,
    )
    assert (invoice_item["closed_how"], invoice_item["remaining"]) == ("credited", 0)
    closed = {
        e["data"]["document_id"]: e["data"]["how"] for e in await api.outbox(RECEIVABLE_CLOSED.type)
    }
    assert closed == {str(order.document_id): "cancelled", str(invoice.document_id): "credited"}
    # 10000 more than the invoice: a credit on the payer's account.
    balance = await api.call("GET", f"/v1/balances/payers/{payer}")
    assert (balance["open_amount"], balance["unapplied"]) == (0, 10000)
    assert (await api.reconciliation())["balanced"] is True


async def test_a_cancellation_before_its_document_is_not_reopened_by_the_late_issued_event(
    api: Payments,
) -> None:
    payer = await api.payer()
    order, issued = api.document_event(payer, 20000, kind="order")
    cancelled = DocumentCancelledV1(
        document_id=order.document_id,
        kind="order",
        document_no=order.document_no,
        payer_account_id=payer,
        reason="deleted",
    )
    assert (
        await api.handle(
            new_event(
                DOCUMENT_CANCELLED,
                cancelled,
                subject=str(order.document_id),
                tenant=api.tenant,
                aggregate_version=2,
            )
        )
        == "applied"
    )
    assert await api.handle(issued) == "applied"
    assert await api.handle(issued) == "duplicate"
    item = await api.item(order)
    assert (item["status"], item["remaining"]) == ("closed", 0)


async def test_balances_age_the_open_amount_by_days_past_due(api: Payments) -> None:
    payer = await api.payer()
    member = uuid.uuid4()
    await api.invoices(payer, 10000, 20000, 40000, member_id=member)  # due Jan 1, Feb 1, Mar 1
    balance = await api.call("GET", f"/v1/balances/payers/{payer}", params={"on": "2026-02-15"})
    assert balance["open_amount"] == 70000
    assert balance["overdue_amount"] == 30000
    assert balance["ageing"] == {
        "not_due": 40000,
        "1_30": 20000,
        "31_60": 10000,
        "61_90": 0,
        "over_90": 0,
    }
    by_member = await api.call("GET", f"/v1/balances/members/{member}", params={"on": "2026-02-15"})
    assert by_member["open_amount"] == 70000


async def test_the_ledger_refuses_to_change_an_entry(api: Payments) -> None:
    payer = await api.payer()
    await api.invoices(payer, 10000)
    async with api.service.runtime.db.sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(
                text("UPDATE ledger_entries SET amount = 1 WHERE tenant = :t"), {"t": api.tenant}
            )


async def test_items_not_expected_to_be_paid_are_closed_without_payment(api: Payments) -> None:
    payer = await api.payer()
    old, recent = await api.invoices(payer, 10000, 20000)  # due Jan 1 and Feb 1
    nothing = await api.service.client.post(
        "/v1/open-items:close-without-payment", json={}, headers=api.headers()
    )
    assert nothing.status_code == 422
    closed = await api.call(
        "POST",
        "/v1/open-items:close-without-payment",
        {"payer_account_id": str(payer), "due_before": "2026-01-15"},
    )
    assert closed == {"closed": 1, "amount": 10000}
    item = await api.item(old)
    assert (item["status"], item["closed_how"]) == ("closed", "written_off")
    assert [(e["kind"], e["note"]) for e in item["entries"]][-1] == (
        "writeoff",
        "closed without payment",
    )
    assert await api.remaining(recent) == [20000]
    [writeoff] = await api.outbox(WRITEOFF_RECORDED.type)
    assert writeoff["data"]["reason"] == "closed_without_payment"
    assert (await api.reconciliation())["balanced"] is True
