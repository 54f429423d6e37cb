"""Manual payment batches, fundraising batches, the BgMax adapter, and the matching rules as
the service applies them (matching mode, priority, tolerance)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from federa.payments.sources.samples import SamplePayment, bgmax, camt
from federa.payments.storage.tables import payer_accounts
from federa.shared.auth import Role
from federa.shared.contracts.payments import GIFT_RECORDED, PAYMENT_APPLIED, WRITEOFF_RECORDED

from .conftest import Payments


async def test_a_manual_batch_is_reviewed_then_transferred_once(api: Payments) -> None:
    member = uuid.uuid4()
    payer = await api.payer(member_id=member)
    old, new = await api.invoices(payer, 20000, 30000)
    other = await api.payer()
    [theirs] = await api.invoices(other, 10000)
    await api.setup(
        sources={"manual": {"strategy": "as_much_as_possible"}}, default_matching_mode="balance"
    )
    batch = await api.call(
        "POST",
        "/v1/payment-batches",
        {
            "name": "Cash desk",
            "lines": [
                # The member's default payer, oldest item first.
                {"amount": 25000, "posting_date": "2026-03-01", "member_id": str(member)},
                {"amount": 10000, "posting_date": "2026-03-01", "invoice_no": theirs.document_no},
            ],
        },
        expect=201,
    )
    assert (batch["status"], batch["total"]) == ("open", 35000)
    review = await api.call("POST", f"/v1/payment-batches/{batch['batch_id']}/preview")
    assert review["counts"]["matched"] == 2
    assert await api.remaining(old, new, theirs) == [20000, 30000, 10000]

    transferred = await api.call("POST", f"/v1/payment-batches/{batch['batch_id']}/transfer")
    assert [line["matched_by"] for line in transferred["lines"]] == ["member", "invoice_no"]
    assert await api.remaining(old, new, theirs) == [0, 25000, 0]
    again = await api.service.client.post(
        f"/v1/payment-batches/{batch['batch_id']}/transfer", headers=api.headers()
    )
    assert again.status_code == 409
    read = await api.call("GET", f"/v1/payment-batches/{batch['batch_id']}")
    assert read["status"] == "transferred"
    assert all(line["payment_id"] for line in read["lines"])
    assert (await api.reconciliation())["balanced"] is True


async def test_a_bad_batch_line_is_named_and_nothing_is_stored(api: Payments) -> None:
    response = await api.service.client.post(
        "/v1/payment-batches",
        json={
            "name": "Cash desk",
            "lines": [
                {"amount": 100, "posting_date": "2026-03-01", "payer_number": 1},
                {"amount": -5, "posting_date": "2026-03-01", "payment_reference": "100000422"},
            ],
        },
        headers=api.headers(),
    )
    assert response.status_code == 422
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (2, "amount"),
        (2, "payment_reference"),
    ]


async def test_a_fundraising_batch_books_each_donation_as_a_gift_at_once(api: Payments) -> None:
    member = await api.member(number=4711)
    payer = await api.payer(member_id=member)
    batch = await api.call(
        "POST",
        "/v1/payment-batches",
        {
            "kind": "fundraising",
            "name": "Spring campaign",
            "lines": [
                {
                    "amount": 50000,
                    "posting_date": "2026-03-01",
                    "member_number": 4711,
                    "campaign": "SPRING26",
                    "posting_type": "GIFT-8A",
                },
            ],
        },
        expect=201,
    )
    done = await api.call("POST", f"/v1/payment-batches/{batch['batch_id']}/transfer")
    assert done["counts"]["gifts"] == 1
    [gift] = await api.outbox(GIFT_RECORDED.type)
    assert {k: gift["data"][k] for k in ("amount", "campaign", "posting_type", "origin")} == {
        "amount": 50000,
        "campaign": "SPRING26",
        "posting_type": "GIFT-8A",
        "origin": "donation",
    }
    # On the member's own payer account. In a full test session billing runs in the same
    # namespace and opens an account of its own for the member from the same event, so the
    # member may own two here (billing's unique owner keeps it to one in production).
    async with api.service.runtime.db.sessions() as session:
        owned = {
            str(row.payer_account_id)
            for row in await session.execute(
                select(payer_accounts.c.payer_account_id).where(
                    payer_accounts.c.owner_member_id == member
                )
            )
        }
    assert str(payer) in owned
    assert gift["data"]["payer_account_id"] in owned
    assert gift["data"]["member_id"] == str(member)
    [payment] = (await api.call("GET", "/v1/payments"))["items"]
    assert (payment["source"], payment["status"]) == ("fundraising", "gift")
    assert (await api.reconciliation())["balanced"] is True


async def test_a_bgmax_file_is_a_second_source_behind_the_same_import(api: Payments) -> None:
    await api.setup(currency="SEK")
    payer = await api.payer()
    doc, event = api.document_event(payer, 45000, currency="SEK")
    await api.publish([event])
    file = [
        SamplePayment(45000, reference=doc.reference, bank_reference=f"{api.tenant[-6:]}1"),
        SamplePayment(700, text="gift", bank_reference=f"{api.tenant[-6:]}2"),
    ]
    done = await api.import_file(bgmax(file), fmt="bgmax")
    assert (done["counts"]["matched"], done["counts"]["unmatched"]) == (1, 1)
    assert await api.remaining(doc) == [0]

    for bad, field in (
        (bgmax(file, truncate=True), "TK70"),
        (bgmax(file, deposit_amount=1), "TK15 deposit amount"),
        (bgmax(file, currency="SEX"), "TK15 currency"),
    ):
        response = await api.service.client.post(
            "/v1/payment-files", params={"format": "bgmax"}, content=bad, headers=api.headers()
        )
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]


async def test_balance_mode_pays_by_posting_type_priority_before_age(api: Payments) -> None:
    await api.setup(
        default_matching_mode="balance",
        priority=["DUES", "MAGAZINE"],
        sources={"bank": {"strategy": "as_much_as_possible"}},
    )
    payer = await api.payer()
    [magazine] = await api.invoices(payer, 10000, posting_type="MAGAZINE")
    dues, event = api.document_event(payer, 20000, posting_type="DUES")
    await api.publish([event])
    number = api.payer_numbers[payer]
    await api.import_file(
        camt(
            [SamplePayment(25000, text=f"kundenr {number}", bank_reference=f"{api.tenant}-1")],
            message_id=api.tenant,
        )
    )
    assert await api.remaining(dues, magazine) == [0, 5000]


async def test_tolerance_settles_a_reference_payment_a_little_short(api: Payments) -> None:
    await api.setup(
        sources={"bank": {"strategy": "single_charge"}},
        writeoff_enabled=False,
        tolerance={"amount": 0, "percent": "2"},
    )
    payer = await api.payer()
    first, second = await api.invoices(payer, 50000, 50000)
    await api.import_file(
        camt(
            [
                SamplePayment(49000, reference=first.reference, bank_reference=f"{api.tenant}-1"),
                SamplePayment(48000, reference=second.reference, bank_reference=f"{api.tenant}-2"),
            ],
            message_id=api.tenant,
        )
    )
    assert await api.remaining(first, second) == [0, 50000]
    [applied] = await api.outbox(PAYMENT_APPLIED.type)
    assert applied["data"]["writeoff_amount"] == 1000
    [writeoff] = await api.outbox(WRITEOFF_RECORDED.type)
    assert (writeoff["data"]["amount"], writeoff["data"]["reason"]) == (1000, "tolerance")
    exceptions = await api.call("GET", "/v1/exceptions")
    assert [e["reason"] for e in exceptions["items"]] == ["partial_payment"]


async def test_a_branch_sees_only_its_items_and_the_read_role_sees_no_payments(
    api: Payments,
) -> None:
    branch, elsewhere = uuid.uuid4(), uuid.uuid4()
    payer = await api.payer()
    [ours] = await api.invoices(payer, 100, organisation_id=branch)
    await api.invoices(payer, 200, organisation_id=elsewhere)
    page = await api.call(
        "GET", "/v1/open-items", headers=api.headers(Role.BOOKKEEPER, orgs=(str(branch),))
    )
    assert [i["document_id"] for i in page["items"]] == [str(ours.document_id)]
    files = await api.service.client.get(
        "/v1/payment-files", headers=api.headers(Role.BOOKKEEPER, orgs=(str(branch),))
    )
    assert files.status_code == 403
    denied = await api.service.client.get("/v1/open-items", headers=api.headers(Role.READ))
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"


async def test_a_member_number_nobody_has_is_named_in_the_batch(api: Payments) -> None:
    await api.member(number=17)
    response = await api.service.client.post(
        "/v1/payment-batches",
        json={
            "name": "Cash desk",
            "lines": [
                {"amount": 100, "posting_date": "2026-03-01", "member_number": 17},
                {"amount": 100, "posting_date": "2026-03-01", "member_number": 18},
            ],
        },
        headers=api.headers(),
    )
    assert response.status_code == 422
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(2, "member_number")]
