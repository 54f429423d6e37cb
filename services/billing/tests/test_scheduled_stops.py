"""Stops dated in the future: `stop_scheduled` when recorded, `stopped` from the daily job on
the stop date (driven here with explicit dates through the ops endpoint)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from federa.billing.subscriptions.scheduled_stops import publish_due_stops
from federa.shared.auth import Role
from federa.shared.contracts.billing import (
    SUBSCRIPTION_STOP_SCHEDULED,
    SUBSCRIPTION_STOPPED,
)

from .conftest import Billing, create_membership

PROBLEM = "https://federa.dev/problems/"
TODAY = date.today()
LATER = TODAY + timedelta(days=30)


async def start(api: Billing, member_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = {"member_id": str(member_id), "product": "MEDLEM", **fields}
    started: dict[str, Any] = await api.call("POST", "/v1/subscriptions", body, expect=201)
    return started


async def run_job(api: Billing, on: date) -> dict[str, Any]:
    result: dict[str, Any] = await api.call(
        "POST", "/v1/jobs/scheduled-stops", params={"on": on.isoformat()}
    )
    return result


@pytest.fixture
async def member(api: Billing) -> uuid.UUID:
    await create_membership(api)
    await api.call(
        "PUT",
        "/v1/reason-codes/UDM",
        {"action": "stop", "description": "Left the union", "new_member_status": "left"},
    )
    return await api.member_joins("Anna Berg")


async def test_a_future_stop_is_scheduled_and_stops_on_its_date(
    api: Billing, member: uuid.UUID
) -> None:
    started = await start(api, member, from_date="2025-01-01")
    stopped = await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/stop",
        {"reason": "UDM", "stop_date": LATER.isoformat()},
    )
    assert (stopped["status"], stopped["to_date"]) == (
        "active",
        (LATER - timedelta(days=1)).isoformat(),
    )
    [scheduled] = await api.outbox(SUBSCRIPTION_STOP_SCHEDULED.type, started["id"])
    assert scheduled["aggregateversion"] == 2
    assert (scheduled["data"]["stop_date"], scheduled["data"]["member_status_to_set"]) == (
        LATER.isoformat(),
        "left",
    )
    assert await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"]) == []

    assert (await run_job(api, LATER - timedelta(days=1)))["published"] == 0
    assert await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"]) == []

    assert (await run_job(api, LATER))["published"] == 1
    [event] = await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"])
    assert event["aggregateversion"] == 3  # taking effect is the subscription's next version
    assert event["data"] | {"subscription_id": None, "member_id": None} == {
        "subscription_id": None,
        "subscription_no": 1,
        "member_id": None,
        "product_code": "MEDLEM",
        "stop_date": LATER.isoformat(),
        "reason_code": "UDM",
        "credited": False,
        "related_subscription_ids": [],
        "member_status_to_set": "left",
    }
    assert (await api.call("GET", f"/v1/subscriptions/{started['id']}"))["version"] == 3

    # Idempotent: a second run (or another replica) publishes nothing more.
    assert (await run_job(api, LATER))["published"] == 0
    assert len(await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"])) == 1


async def test_a_run_after_downtime_catches_up_on_the_days_missed(
    api: Billing, member: uuid.UUID
) -> None:
    dates = [LATER, LATER + timedelta(days=1), LATER + timedelta(days=5)]
    ids = []
    for stop_date in dates:
        started = await start(api, member, from_date="2025-01-01")
        await api.call(
            "POST",
            f"/v1/subscriptions/{started['id']}/stop",
            {"stop_date": stop_date.isoformat()},
        )
        ids.append(started["id"])

    run = await run_job(api, LATER + timedelta(days=3))
    assert (run["published"], run["failed"]) == (2, [])
    assert [len(await api.outbox(SUBSCRIPTION_STOPPED.type, i)) for i in ids] == [1, 1, 0]


async def test_a_stop_that_has_not_taken_effect_cannot_be_restarted(
    api: Billing, member: uuid.UUID
) -> None:
    started = await start(api, member, from_date="2025-01-01")
    await api.call(
        "POST", f"/v1/subscriptions/{started['id']}/stop", {"stop_date": LATER.isoformat()}
    )
    problem = await api.call("POST", f"/v1/subscriptions/{started['id']}/restart", {}, expect=409)
    assert problem["type"] == PROBLEM + "subscription-not-stopped"
    assert (await api.call("GET", f"/v1/subscriptions/{started['id']}"))["version"] == 2

    assert (await run_job(api, LATER))["published"] == 1


async def test_a_second_stop_replaces_the_scheduled_one(api: Billing, member: uuid.UUID) -> None:
    started = await start(api, member, from_date="2025-01-01")
    path = f"/v1/subscriptions/{started['id']}/stop"
    await api.call("POST", path, {"stop_date": (LATER + timedelta(days=10)).isoformat()})
    await api.call("POST", path, {"reason": "UDM", "stop_date": LATER.isoformat()})
    assert len(await api.outbox(SUBSCRIPTION_STOP_SCHEDULED.type, started["id"])) == 2

    assert (await run_job(api, LATER + timedelta(days=10)))["published"] == 1
    [event] = await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"])
    assert (event["data"]["stop_date"], event["data"]["reason_code"]) == (
        LATER.isoformat(),
        "UDM",
    )

    # Stopping from today on replaces a pending stop and publishes at once.
    other = await start(api, member, from_date="2025-01-01")
    path = f"/v1/subscriptions/{other['id']}/stop"
    await api.call("POST", path, {"stop_date": LATER.isoformat()})
    await api.call("POST", path, {"stop_date": TODAY.isoformat()})
    [now] = await api.outbox(SUBSCRIPTION_STOPPED.type, other["id"])
    assert now["data"]["stop_date"] == TODAY.isoformat()
    assert (await run_job(api, LATER))["published"] == 0


async def test_related_stops_are_scheduled_with_the_stop(api: Billing, member: uuid.UUID) -> None:
    await api.call("POST", "/v1/products", {"code": "BLAD", "description": "Magazine"}, expect=201)
    await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": "BLAD",
            "code": "STD",
            "description": "Magazine",
            "first_term": "1Å",
            "subsequent_term": "1Å",
        },
        expect=201,
    )
    await api.call("PUT", "/v1/products/MEDLEM/related-stops", {"products": ["BLAD"]})
    membership = await start(api, member, from_date="2025-01-01")
    magazine = await start(api, member, product="BLAD", price_code="STD", from_date="2025-03-01")

    await api.call(
        "POST",
        f"/v1/subscriptions/{membership['id']}/stop",
        {"reason": "UDM", "stop_date": LATER.isoformat(), "stop_related": True},
    )
    [main] = await api.outbox(SUBSCRIPTION_STOP_SCHEDULED.type, membership["id"])
    assert main["data"]["related_subscription_ids"] == [magazine["id"]]
    [related] = await api.outbox(SUBSCRIPTION_STOP_SCHEDULED.type, magazine["id"])
    assert related["data"]["member_status_to_set"] is None

    assert (await run_job(api, LATER))["published"] == 2
    [main_stopped] = await api.outbox(SUBSCRIPTION_STOPPED.type, membership["id"])
    assert main_stopped["data"]["member_status_to_set"] == "left"
    assert main_stopped["data"]["related_subscription_ids"] == [magazine["id"]]
    [related_stopped] = await api.outbox(SUBSCRIPTION_STOPPED.type, magazine["id"])
    assert related_stopped["data"]["member_status_to_set"] is None


async def test_a_deleted_subscription_never_stops(api: Billing, member: uuid.UUID) -> None:
    future = await start(api, member, from_date=(TODAY + timedelta(days=10)).isoformat())
    await api.call(
        "POST", f"/v1/subscriptions/{future['id']}/stop", {"stop_date": LATER.isoformat()}
    )
    await api.call("DELETE", f"/v1/subscriptions/{future['id']}", expect=204)
    assert (await run_job(api, LATER))["published"] == 0
    assert await api.outbox(SUBSCRIPTION_STOPPED.type, future["id"]) == []


async def test_the_job_is_the_superusers_and_takes_a_real_date(
    api: Billing, member: uuid.UUID
) -> None:
    await api.call(
        "POST",
        "/v1/jobs/scheduled-stops",
        params={"on": LATER.isoformat()},
        headers=api.headers(Role.MEMBER_CARD),
        expect=403,
    )
    problem = await api.call(
        "POST", "/v1/jobs/scheduled-stops", params={"on": "2026-02-30"}, expect=422
    )
    assert problem["type"] == PROBLEM + "validation-error"


async def test_replicas_running_the_job_at_once_publish_each_stop_once(
    api: Billing, member: uuid.UUID
) -> None:
    ids = []
    for _ in range(6):
        started = await start(api, member, from_date="2025-01-01")
        await api.call(
            "POST", f"/v1/subscriptions/{started['id']}/stop", {"stop_date": LATER.isoformat()}
        )
        ids.append(started["id"])

    db = api.service.runtime.db
    runs = await asyncio.gather(
        *(publish_due_stops(db, LATER, api.tenant, batch_size=2) for _ in range(3))
    )
    assert sum(run.published for run in runs) == 6
    assert [len(await api.outbox(SUBSCRIPTION_STOPPED.type, i)) for i in ids] == [1] * 6
