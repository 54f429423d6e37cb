"""`payments.payment.applied` published on the real bus: a paid order becomes an invoice once,
however often the event comes; subscriptions are paid; rule 23 moves a first charge's start."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from faststream.rabbit import RabbitBroker
from sqlalchemy import func, select

from federa.billing.storage.tables import inbox
from federa.shared.contracts.billing import DOCUMENT_POSTED
from federa.shared.contracts.payments import PAYMENT_APPLIED, AllocationV1, PaymentAppliedV1
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.messaging.topology import events_exchange
from federa.shared.payment_reference import ReferenceSeries, parse_reference
from federa.shared.testing.harness import eventually

from .conftest import Billing
from .credit_helpers import billed, credit_worker, runs, subscription_of
from .run_helpers import ANNUAL_PRICE, all_documents, create_annual, finished, start_run

__all__ = ["credit_worker", "runs"]


async def publish(api: Billing, events: Iterable[CloudEvent]) -> None:
    """Through RabbitMQ, as payments' relay would; returns once each was consumed."""
    runtime = api.service.runtime
    broker: RabbitBroker = runtime.broker
    exchange = events_exchange(runtime.names, declare=False)
    sent = list(events)
    for event in sent:
        await broker.publish(
            event.to_json(),
            exchange=exchange,
            routing_key=event.routing_key,
            message_id=event.id,
            content_type="application/cloudevents+json",
            persist=True,
        )
    ids = {e.id for e in sent}

    async def consumed() -> bool:
        async with runtime.db.sessions() as session:
            count = (
                await session.execute(select(func.count()).where(inbox.c.event_id.in_(ids)))
            ).scalar_one()
        return bool(count == len(ids))

    await eventually(consumed, timeout=30)


def payment_applied(
    api: Billing, document: dict[str, Any], *, amount: int, remaining: int, value_date: date
) -> CloudEvent:
    payment_id = uuid.uuid4()
    return new_event(
        PAYMENT_APPLIED,
        PaymentAppliedV1(
            payment_id=payment_id,
            payer_account_id=document["payer_account_id"],
            currency=document["currency"],
            value_date=value_date,
            amount=amount,
            allocations=[
                AllocationV1(
                    document_id=document["id"],
                    document_no=document["document_no"],
                    amount=amount,
                    remaining=remaining,
                )
            ],
        ),
        subject=str(payment_id),
        tenant=api.tenant,
        aggregate_version=1,
    )


async def test_a_paid_order_is_posted_into_an_invoice_exactly_once(runs: Billing) -> None:
    population, [order] = await billed(runs, 1, mode="order")
    assert (order["kind"], order["status"]) == ("order", "open")
    paid = payment_applied(
        runs, order, amount=order["total_amount"], remaining=0, value_date=date(2025, 6, 20)
    )

    # The same event twice, then another payment for the same order: one posting.
    again = payment_applied(
        runs, order, amount=order["total_amount"], remaining=0, value_date=date(2025, 6, 21)
    )
    await publish(runs, [paid, paid, again])

    invoice = await runs.call("GET", f"/v1/documents/{order['id']}")
    assert (invoice["kind"], invoice["status"], invoice["posted_from"]) == (
        "invoice",
        "posted",
        "order",
    )
    assert invoice["invoice_no"] == "1"
    assert parse_reference(invoice["payment_reference"]) == (ReferenceSeries.INVOICE, 1)
    [posted] = await runs.outbox(DOCUMENT_POSTED.type, order["id"])
    assert posted["data"]["posted_from"] == "order"
    assert posted["data"]["total_amount"] == order["total_amount"]
    for product in ("ANNUAL", "MEDLEM"):
        found = await runs.call(
            "GET", f"/v1/subscriptions/{await subscription_of(runs, population, product)}"
        )
        assert found["billing_status"] == "paid"


async def test_a_partly_paid_order_stays_open(runs: Billing) -> None:
    population, [order] = await billed(runs, 1, mode="order")
    await publish(
        runs,
        [
            payment_applied(
                runs,
                order,
                amount=1000,
                remaining=order["total_amount"] - 1000,
                value_date=date(2025, 6, 20),
            )
        ],
    )
    still = await runs.call("GET", f"/v1/documents/{order['id']}")
    assert (still["kind"], still["status"]) == ("order", "open")
    assert await runs.outbox(DOCUMENT_POSTED.type, order["id"]) == []
    annual = await subscription_of(runs, population, "ANNUAL")
    assert (await runs.call("GET", f"/v1/subscriptions/{annual}"))["billing_status"] == "charged"


async def test_paying_a_first_charge_moves_the_start_when_the_price_code_asks(
    runs: Billing,
) -> None:
    await runs.call("PUT", "/v1/invoicing-settings", {"invoicing_mode": "order"})
    await create_annual(runs)
    await runs.call("POST", "/v1/products", {"code": "PAYSTART", "description": "Pay"}, expect=201)
    code = await runs.call(
        "POST",
        "/v1/price-codes",
        {
            "product": "PAYSTART",
            "code": "STD",
            "description": "Starts when paid",
            "first_term": {"years": 1},
            "subsequent_term": {"years": 1},
            "recalculate_start_on_payment": True,
        },
        expect=201,
    )
    await runs.call(
        "POST",
        f"/v1/price-codes/{code['id']}/prices",
        {"from_date": "2025-01-01", "amount": 1000},
        expect=201,
    )
    await runs.call(
        "POST",
        "/v1/products/PAYSTART/periods:generate",
        {"start": "2025-01-01", "count": 4, "length": {"years": 1}},
    )
    member = await runs.member_joins("Payer")
    subscribed = {}
    for product in ("PAYSTART", "ANNUAL"):
        started = await runs.call(
            "POST",
            "/v1/subscriptions",
            {
                "member_id": str(member),
                "product": product,
                "price_code": "STD",
                "from_date": "2025-01-01",
            },
            expect=201,
        )
        subscribed[product] = started["id"]
    run = await finished(runs, (await start_run(runs))["id"])
    [order] = await all_documents(runs, billing_run_id=run["id"])
    assert order["total_amount"] == 1000 + ANNUAL_PRICE

    await publish(
        runs,
        [
            payment_applied(
                runs, order, amount=order["total_amount"], remaining=0, value_date=date(2025, 3, 10)
            )
        ],
    )

    moved = await runs.call("GET", f"/v1/subscriptions/{subscribed['PAYSTART']}")
    kept = await runs.call("GET", f"/v1/subscriptions/{subscribed['ANNUAL']}")
    assert (moved["from_date"], moved["billing_status"]) == ("2025-03-10", "paid")
    assert (kept["from_date"], kept["billing_status"]) == ("2025-01-01", "paid")
