"""Recruitment gifts (SPEC §2.2 rule 39, *Hvervegave*) against the real database and broker:
a recruit's first charge paid in full (`payments.payment.applied` on the bus) makes one gift
due and publishes `billing.recruitment_gift.due`; the paid-window list and CSV export; the
zero-value invoices, issued once per gift."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import event

from federa.shared.auth import Role
from federa.shared.contracts.billing import (
    DOCUMENT_ISSUED,
    RECRUITMENT_GIFT_DUE,
    RECRUITMENT_GIFT_FULFILLED,
)
from federa.shared.envelope import CloudEvent

from .conftest import Billing
from .credit_helpers import credit_worker, runs
from .run_helpers import ANNUAL_PRICE, all_documents, create_annual, finished, start_run
from .test_payment_applied import payment_applied, publish

__all__ = ["credit_worker", "runs"]


@dataclass
class Recruits:
    """Rita recruited Anna (channel MGM: a mug for Rita) and Bo (channel FRIEND: a bag for Bo
    himself) and Dora (MGM); Carl joined on his own. One ANNUAL each, billed by one run."""

    rita: uuid.UUID
    anna: uuid.UUID
    bo: uuid.UUID
    carl: uuid.UUID
    dora: uuid.UUID
    subscription_of: dict[uuid.UUID, str]
    document_of: dict[uuid.UUID, dict[str, Any]]


async def recruited(runs: Billing, *, mode: str = "invoice") -> Recruits:
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": mode})
    await create_annual(runs)
    await runs.call("PUT", "/v1/recruitment-gift-channels/MGM", {"gift_item_no": "MUG-1"})
    await runs.call(
        "PUT",
        "/v1/recruitment-gift-channels/FRIEND",
        {"gift_item_no": "BAG-2", "gift_to_new_member": True},
    )
    rita = await runs.member_joins(
        "Rita Hverver",
        member_number=1,
        address="Hvervevej 1, 2. th",
        postcode="8000",
        city="Aarhus C",
    )
    anna = await runs.member_joins("Anna Ny", member_number=2, address="Nyvej 2", city="Odense")
    bo = await runs.member_joins("Bo Ven", member_number=3, address="Vennevej 3", city="Vejle")
    carl = await runs.member_joins("Carl Selv", member_number=4)
    dora = await runs.member_joins("Dora Delvis", member_number=5)
    starts: dict[uuid.UUID, dict[str, Any]] = {
        anna: {"recruited_by_member_id": str(rita), "acquisition_channel": "MGM"},
        bo: {"recruited_by_member_id": str(rita), "acquisition_channel": "FRIEND"},
        carl: {"acquisition_channel": "MGM"},
        dora: {"recruited_by_member_id": str(rita), "acquisition_channel": "MGM"},
    }
    subscription_of = {}
    for member, extra in starts.items():
        started = await runs.call(
            "POST",
            "/v1/subscriptions",
            {"member_id": str(member), "product": "ANNUAL", "from_date": "2025-01-01", **extra},
            expect=201,
        )
        subscription_of[member] = started["id"]
    run = await finished(runs, (await start_run(runs))["id"])
    assert run["status"] == "completed"
    docs = await all_documents(runs, billing_run_id=run["id"])
    document_of = {
        member: await runs.call("GET", f"/v1/documents/{doc['id']}")
        for member in starts
        for doc in docs
        if doc["member_id"] == str(member)
    }
    assert len(document_of) == 4
    return Recruits(rita, anna, bo, carl, dora, subscription_of, document_of)


def pay(
    runs: Billing, document: dict[str, Any], on: date, *, amount: int | None = None
) -> CloudEvent:
    paid = document["total_amount"] if amount is None else amount
    return payment_applied(
        runs, document, amount=paid, remaining=document["total_amount"] - paid, value_date=on
    )


async def gifts(runs: Billing, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = await runs.call("GET", "/v1/recruitment-gifts", params=params)
    return page


async def test_a_paid_first_charge_makes_one_gift_due_however_often_it_is_heard(
    runs: Billing,
) -> None:
    # Order mode: the paid order is posted into an invoice first, then the gift falls due.
    people = await recruited(runs, mode="order")
    order = people.document_of[people.anna]
    assert (order["kind"], order["total_amount"]) == ("order", ANNUAL_PRICE)
    paid = pay(runs, order, date(2025, 6, 20))
    again = pay(runs, order, date(2025, 6, 21))
    # The same event twice (redelivery) and a second payment of the same order: one gift.
    await publish(runs, [paid, paid, again])

    page = await gifts(runs)
    assert page["total"] == 1
    [gift] = page["items"]
    assert gift["subscription_id"] == people.subscription_of[people.anna]
    assert (gift["recruit_member_id"], gift["recruiter_member_id"]) == (
        str(people.anna),
        str(people.rita),
    )
    assert (gift["recruit_name"], gift["recruiter_name"]) == ("Anna Ny", "Rita Hverver")
    assert (gift["gift_item_no"], gift["recipient"], gift["gift_to_new_member"]) == (
        "MUG-1",
        "recruiter",
        False,
    )
    assert gift["recipient_member_id"] == str(people.rita)
    assert gift["paid_on"] == "2025-06-20"
    assert gift["document_id"] == order["id"]
    assert gift["fulfilled"] is False

    [due] = await runs.outbox(RECRUITMENT_GIFT_DUE.type)
    assert due["subject"] == gift["id"]
    data = due["data"]
    assert data["recruit_member_id"] == str(people.anna)
    assert data["recruiter_member_id"] == str(people.rita)
    assert data["gift_item_no"] == "MUG-1"
    assert (data["recipient"], data["recipient_member_id"]) == ("recruiter", str(people.rita))
    assert (data["recipient_name"], data["recipient_address"], data["recipient_city"]) == (
        "Rita Hverver",
        "Hvervevej 1, 2. th",
        "Aarhus C",
    )
    assert data["paid_on"] == "2025-06-20"
    assert data["payment_id"] == paid.subject
    assert await runs.count("recruitment_gifts", "tenant = :t", t=runs.tenant) == 1
    assert (await runs.call("GET", f"/v1/recruitment-gifts/{gift['id']}"))["id"] == gift["id"]


async def test_unpaid_partly_paid_and_unrecruited_charges_make_no_gift(runs: Billing) -> None:
    people = await recruited(runs)
    dora = people.document_of[people.dora]
    carl = people.document_of[people.carl]
    await publish(
        runs,
        [
            # Dora (recruited) pays part of her invoice; Carl (no recruiter) pays all of his.
            pay(runs, dora, date(2025, 6, 20), amount=1000),
            pay(runs, carl, date(2025, 6, 20)),
        ],
    )
    assert (await gifts(runs))["total"] == 0
    assert await runs.outbox(RECRUITMENT_GIFT_DUE.type) == []

    # The rest of Dora's invoice: now paid in full, on the day of the second payment.
    rest = payment_applied(
        runs, dora, amount=dora["total_amount"] - 1000, remaining=0, value_date=date(2025, 7, 1)
    )
    await publish(runs, [rest])
    [gift] = (await gifts(runs))["items"]
    assert (gift["recruit_member_id"], gift["paid_on"]) == (str(people.dora), "2025-07-01")


async def test_gift_to_new_member_goes_to_the_recruit(runs: Billing) -> None:
    people = await recruited(runs)
    await publish(runs, [pay(runs, people.document_of[people.bo], date(2025, 6, 22))])
    [gift] = (await gifts(runs))["items"]
    assert (gift["gift_item_no"], gift["recipient"], gift["gift_to_new_member"]) == (
        "BAG-2",
        "recruit",
        True,
    )
    assert gift["recipient_member_id"] == str(people.bo)
    assert gift["recruiter_member_id"] == str(people.rita)
    [due] = await runs.outbox(RECRUITMENT_GIFT_DUE.type)
    assert due["data"]["gift_to_new_member"] is True
    assert (due["data"]["recipient_member_id"], due["data"]["recipient_name"]) == (
        str(people.bo),
        "Bo Ven",
    )


async def test_the_subscriptions_own_gift_item_wins_over_the_channels(runs: Billing) -> None:
    people = await recruited(runs)
    anna = people.subscription_of[people.anna]
    set_ = await runs.call(
        "PUT",
        f"/v1/subscriptions/{anna}/recruitment",
        {"recruited_by_member_id": str(people.rita), "recruitment_gift_item": "BOOK-9"},
    )
    assert set_["recruitment_gift_item"] == "BOOK-9"
    await publish(runs, [pay(runs, people.document_of[people.anna], date(2025, 6, 20))])
    [gift] = (await gifts(runs))["items"]
    assert (gift["gift_item_no"], gift["recipient"]) == ("BOOK-9", "recruiter")
    # Due now: the recruitment can no longer change.
    await runs.call(
        "PUT",
        f"/v1/subscriptions/{anna}/recruitment",
        {"recruited_by_member_id": str(people.bo)},
        expect=409,
    )
    carl = people.subscription_of[people.carl]
    await runs.call("GET", f"/v1/subscriptions/{carl}/recruitment", expect=404)


async def test_a_start_takes_the_gift_item_and_the_subscription_read_shows_the_recruiter(
    runs: Billing,
) -> None:
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "invoice"})
    await create_annual(runs)
    await runs.call("PUT", "/v1/recruitment-gift-channels/MGM", {"gift_item_no": "MUG-1"})
    rita = await runs.member_joins("Rita Hverver", member_number=1)
    anna = await runs.member_joins("Anna Ny", member_number=2)
    carl = await runs.member_joins("Carl Selv", member_number=3)
    body = {"product": "ANNUAL", "from_date": "2025-01-01", "acquisition_channel": "MGM"}

    # An item without a recruiter could earn nothing: refused, nothing stored.
    await runs.call(
        "POST",
        "/v1/subscriptions",
        {**body, "member_id": str(carl), "recruitment_gift_item": "BOOK-9"},
        expect=422,
    )
    assert await runs.count("subscriptions", "tenant = :t", t=runs.tenant) == 0
    # Nor does a member recruit themselves.
    own = await runs.call(
        "POST",
        "/v1/subscriptions",
        {**body, "member_id": str(carl), "recruited_by_member_id": str(carl)},
        expect=422,
    )
    assert own["type"].endswith("/recruited-by-self")
    assert await runs.count("subscriptions", "tenant = :t", t=runs.tenant) == 0
    started = await runs.call(
        "POST",
        "/v1/subscriptions",
        {
            **body,
            "member_id": str(anna),
            "recruited_by_member_id": str(rita),
            "recruitment_gift_item": "BOOK-9",
        },
        expect=201,
    )
    assert (started["recruited_by_member_id"], started["recruitment_gift_item"]) == (
        str(rita),
        "BOOK-9",
    )
    unrecruited = await runs.call(
        "POST", "/v1/subscriptions", {**body, "member_id": str(carl)}, expect=201
    )
    assert (unrecruited["recruited_by_member_id"], unrecruited["recruitment_gift_item"]) == (
        None,
        None,
    )
    read = await runs.call("GET", f"/v1/subscriptions/{started['id']}")
    assert (read["recruited_by_member_id"], read["recruitment_gift_item"]) == (str(rita), "BOOK-9")
    recruitment = await runs.call("GET", f"/v1/subscriptions/{started['id']}/recruitment")
    assert recruitment["recruitment_gift_item"] == "BOOK-9"
    # The recruiter without an own item: the channel's item stands, and the read says none.
    bo = await runs.member_joins("Bo Ven", member_number=4)
    await runs.call(
        "POST",
        "/v1/subscriptions",
        {**body, "member_id": str(bo), "recruited_by_member_id": str(rita)},
        expect=201,
    )

    # A page reads its recruitments in one query, not one per subscription.
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = runs.service.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = await runs.call("GET", "/v1/subscriptions")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [(s["recruited_by_member_id"], s["recruitment_gift_item"]) for s in page["items"]] == [
        (str(rita), "BOOK-9"),
        (None, None),
        (str(rita), None),
    ]
    assert len([s for s in statements if "FROM subscription_recruitments" in s]) == 1

    # The item the start stored is the gift's once the first charge is paid.
    run = await finished(runs, (await start_run(runs))["id"])
    [listed] = [
        d
        for d in await all_documents(runs, billing_run_id=run["id"])
        if d["member_id"] == str(anna)
    ]
    document = await runs.call("GET", f"/v1/documents/{listed['id']}")
    await publish(runs, [pay(runs, document, date(2025, 6, 20))])
    [gift] = (await gifts(runs))["items"]
    assert (gift["gift_item_no"], gift["recipient"]) == ("BOOK-9", "recruiter")


async def test_the_window_filter_and_the_csv_export(runs: Billing) -> None:
    people = await recruited(runs)
    await publish(
        runs,
        [
            pay(runs, people.document_of[people.anna], date(2025, 6, 30)),
            pay(runs, people.document_of[people.bo], date(2025, 7, 1)),
            pay(runs, people.document_of[people.dora], date(2025, 7, 31)),
        ],
    )
    june = await gifts(runs, paid_from="2025-06-01", paid_to="2025-06-30")
    assert [g["recruit_member_id"] for g in june["items"]] == [str(people.anna)]
    july = await gifts(runs, paid_from="2025-07-01", paid_to="2025-07-31")
    assert [g["recruit_member_id"] for g in july["items"]] == [str(people.bo), str(people.dora)]
    await runs.call(
        "GET",
        "/v1/recruitment-gifts",
        params={"paid_from": "2025-07-02", "paid_to": "2025-07-01"},
        expect=422,
    )
    paged = await gifts(runs, limit=1, offset=1)
    assert (paged["total"], [g["recruit_member_id"] for g in paged["items"]]) == (
        3,
        [str(people.bo)],
    )

    response = await runs.service.client.get(
        "/v1/recruitment-gifts/export",
        params={"paid_from": "2025-07-01", "paid_to": "2025-07-30"},
        headers=runs.headers(),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="recruitment-gifts_2025-07-01_2025-07-30.csv"'
    )
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["paid_on"] == "2025-07-01"
    assert (row["gift_item_no"], row["recipient"]) == ("BAG-2", "recruit")
    assert (row["recruiter_member_number"], row["recruiter_name"]) == ("1", "Rita Hverver")
    assert (row["recruiter_address"], row["recruiter_postcode"], row["recruiter_city"]) == (
        "Hvervevej 1, 2. th",
        "8000",
        "Aarhus C",
    )
    assert (row["recruit_name"], row["recruit_address"], row["recruit_city"]) == (
        "Bo Ven",
        "Vennevej 3",
        "Vejle",
    )
    assert row["product"] == "ANNUAL"
    assert row["acquisition_channel"] == "FRIEND"

    # A branch officer whose branch holds none of these members sees none of them.
    officer = runs.headers(Role.MEMBER_CARD, orgs=(str(uuid.uuid4()),))
    hidden = await runs.call("GET", "/v1/recruitment-gifts", headers=officer)
    assert hidden["total"] == 0
    empty = await runs.service.client.get(
        "/v1/recruitment-gifts/export",
        params={"paid_from": "2025-01-01", "paid_to": "2025-12-31"},
        headers=officer,
    )
    assert len(list(csv.DictReader(io.StringIO(empty.text)))) == 0
    # The window is required for the file.
    await runs.call("GET", "/v1/recruitment-gifts/export", expect=422)


async def test_zero_value_invoices_are_issued_once_per_gift(runs: Billing) -> None:
    people = await recruited(runs)
    await publish(
        runs,
        [
            pay(runs, people.document_of[people.anna], date(2025, 6, 20)),
            pay(runs, people.document_of[people.bo], date(2025, 6, 21)),
        ],
    )
    due = {g["recruit_member_id"]: g for g in (await gifts(runs))["items"]}
    key = {"Idempotency-Key": f"gifts-{uuid.uuid4()}", **runs.headers()}
    body = {"paid_from": "2025-06-01", "paid_to": "2025-06-30", "posting_date": "2025-07-01"}
    first = await runs.call("POST", "/v1/recruitment-gifts/invoice", body, headers=key)
    assert first["invoiced"] == 2
    assert first["skipped"] == []
    assert sorted(first["gift_ids"]) == sorted(g["id"] for g in due.values())

    # The same key: the first result; a new request for the window: nothing left to invoice.
    assert await runs.call("POST", "/v1/recruitment-gifts/invoice", body, headers=key) == first
    again = await runs.call("POST", "/v1/recruitment-gifts/invoice", body)
    assert (again["invoiced"], again["skipped"]) == (0, [])
    listed = await runs.call(
        "POST", "/v1/recruitment-gifts/invoice", {"gift_ids": [due[str(people.anna)]["id"]]}
    )
    assert listed["invoiced"] == 0
    assert listed["skipped"] == [
        {"gift_id": due[str(people.anna)]["id"], "reason": "already-invoiced"}
    ]
    await runs.call(
        "POST",
        "/v1/recruitment-gifts/invoice",
        {**body, "gift_ids": [due[str(people.anna)]["id"]]},
        expect=422,
    )
    await runs.call(
        "POST", "/v1/recruitment-gifts/invoice", {"gift_ids": [str(uuid.uuid4())]}, expect=404
    )

    # To each recipient: Rita for Anna's gift, Bo for his own.
    for recruit, recipient, item in (
        (people.anna, people.rita, "MUG-1"),
        (people.bo, people.bo, "BAG-2"),
    ):
        gift = await runs.call("GET", f"/v1/recruitment-gifts/{due[str(recruit)]['id']}")
        assert gift["fulfilled"] is True
        assert gift["invoice_no"]
        invoice = await runs.call("GET", f"/v1/documents/{gift['invoice_document_id']}")
        assert (invoice["kind"], invoice["status"], invoice["total_amount"]) == (
            "invoice",
            "posted",
            0,
        )
        assert invoice["member_id"] == str(recipient)
        assert invoice["posting_date"] == "2025-07-01"
        [line] = invoice["lines"]
        assert (line["kind"], line["amount"], line["quantity"]) == ("recruitment_gift", 0, "1")
        assert item in line["description"]
        [issued] = await runs.outbox(DOCUMENT_ISSUED.type, gift["invoice_document_id"])
        assert issued["data"]["total_amount"] == 0
        [fulfilled] = await runs.outbox(RECRUITMENT_GIFT_FULFILLED.type, gift["id"])
        assert fulfilled["data"]["gift_item_no"] == item
        assert fulfilled["data"]["invoice_no"] == gift["invoice_no"]
        assert fulfilled["aggregateversion"] == 2
    assert (
        await runs.count(
            "documents", "tenant = :t AND kind = 'invoice' AND total_amount = 0", t=runs.tenant
        )
        == 2
    )
    assert (await gifts(runs, fulfilled=False))["total"] == 0
