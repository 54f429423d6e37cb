"""`payments.arrears_stop.executed` on the real bus: billing stops the named subscriptions and
credits their latest invoice, once however often the event comes, and leaves the member's
status to members (which reads the same event)."""

from __future__ import annotations

import uuid

from federa.shared.contracts.billing import CREDIT_MEMO_ISSUED, SUBSCRIPTION_STOPPED
from federa.shared.contracts.payments import ARREARS_STOP_EXECUTED, ArrearsStopExecutedV1
from federa.shared.envelope import CloudEvent, new_event

from .conftest import Billing
from .credit_helpers import billed, credit_worker, document_with, runs, subscription_of
from .run_helpers import ANNUAL_PRICE
from .test_payment_applied import publish

__all__ = ["credit_worker", "runs"]


def arrears_stop(api: Billing, member_id: uuid.UUID, *subscription_ids: str) -> CloudEvent:
    batch = uuid.uuid4()
    return new_event(
        ARREARS_STOP_EXECUTED,
        ArrearsStopExecutedV1(
            arrears_stop_id=batch,
            member_id=member_id,
            subscription_ids=[uuid.UUID(s) for s in subscription_ids],
            stop_reason_code="STOP",
            member_status_to_set="PASSIVE",
        ),
        subject=str(batch),
        tenant=api.tenant,
        aggregate_version=1,
    )


async def test_an_arrears_stop_stops_and_credits_once_and_leaves_the_status_to_members(
    runs: Billing,
) -> None:
    population, docs = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    invoice = document_with(docs, annual)
    event = arrears_stop(runs, population.members[0], annual, str(uuid.uuid4()))

    await publish(runs, [event, event])

    found = await runs.call("GET", f"/v1/subscriptions/{annual}")
    assert found["to_date"] is not None
    [stopped] = await runs.outbox(SUBSCRIPTION_STOPPED.type, annual)
    assert stopped["data"]["credited"] is True
    assert stopped["data"]["member_status_to_set"] is None
    memos = [
        m
        for m in await runs.outbox(CREDIT_MEMO_ISSUED.type)
        if m["data"]["credited_document_id"] == invoice["id"]
    ]
    assert [m["data"]["total_amount"] for m in memos] == [ANNUAL_PRICE]


async def test_an_arrears_stop_of_a_stopped_subscription_changes_nothing(runs: Billing) -> None:
    population, _ = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    await runs.call("POST", f"/v1/subscriptions/{annual}/stop", {"credit": False})
    before = await runs.call("GET", f"/v1/subscriptions/{annual}")

    await publish(runs, [arrears_stop(runs, population.members[0], annual)])

    assert await runs.call("GET", f"/v1/subscriptions/{annual}") == before
    assert len(await runs.outbox(SUBSCRIPTION_STOPPED.type, annual)) == 1
    assert await runs.outbox(CREDIT_MEMO_ISSUED.type) == []
