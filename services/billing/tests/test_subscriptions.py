"""Subscription lifecycle over HTTP: each command, its lifecycle entries and its event in the
outbox; refused commands change nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from federa.billing.domain.lifecycle import record_charge
from federa.billing.domain.periods import Period
from federa.billing.scope import Scope
from federa.billing.subscriptions.store import load_visible, save_new_version
from federa.shared.auth import Role
from federa.shared.contracts.billing import (
    SUBSCRIPTION_DELETED,
    SUBSCRIPTION_DELIVERY_MOVED,
    SUBSCRIPTION_PAYER_CHANGED,
    SUBSCRIPTION_PRICE_CODE_CHANGED,
    SUBSCRIPTION_RESTARTED,
    SUBSCRIPTION_STARTED,
    SUBSCRIPTION_STOPPED,
)

from .conftest import Billing, create_membership
from .test_delivery_addresses import address_event

PROBLEM = "https://federa.dev/problems/"


async def start(api: Billing, member_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = {"member_id": str(member_id), "product": "MEDLEM", **fields}
    started: dict[str, Any] = await api.call("POST", "/v1/subscriptions", body, expect=201)
    return started


async def payer_of(api: Billing, member_id: uuid.UUID) -> dict[str, Any]:
    [account] = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member_id)})
    result: dict[str, Any] = account
    return result


async def lifecycle(api: Billing, subscription_id: str) -> list[tuple[str, str, str]]:
    entries = await api.call("GET", f"/v1/subscriptions/{subscription_id}/lifecycle")
    return [(e["kind"], e["reason_code"], e["effective"]) for e in entries]


async def charge(api: Billing, subscription_id: str, start: date, end: date) -> None:
    """What a billing run (part 2) will do: record a charged period on the subscription."""
    async with api.service.runtime.db.transaction() as session:
        stored = await load_visible(
            session, Scope(api.tenant, True), uuid.UUID(subscription_id), for_update=True
        )
        state = record_charge(stored.state, Period(start, end), free=False)
        await save_new_version(session, stored, state, actor="billing-run")


@pytest.fixture
async def member(api: Billing) -> uuid.UUID:
    await create_membership(api)
    return await api.member_joins("Anna Berg", address="Storgata 1", postcode="0150")


async def test_a_start_takes_the_defaults_and_publishes_started(
    api: Billing, member: uuid.UUID
) -> None:
    payer = await payer_of(api, member)
    started = await start(api, member)

    assert started["subscription_no"] == 1
    assert started["price_code"] == "ORD"  # the product's default price code
    assert started["from_date"] == date.today().isoformat()  # default start rule: today
    assert started["payer_account_id"] == payer["id"]  # the member's own payer account
    assert (started["status"], started["billing_status"], started["version"]) == (
        "active",
        "new",
        1,
    )
    assert await lifecycle(api, started["id"]) == [("start", "START", date.today().isoformat())]
    [event] = await api.outbox(SUBSCRIPTION_STARTED.type, started["id"])
    assert event["aggregateversion"] == 1
    assert event["data"]["member_id"] == str(member)
    assert (event["data"]["price_code"], event["data"]["reason_code"]) == ("ORD", "START")

    assert (await start(api, member))["subscription_no"] == 2


async def test_a_stop_publishes_the_member_status_its_reason_sets(
    api: Billing, member: uuid.UUID
) -> None:
    await api.call(
        "PUT",
        "/v1/reason-codes/UDM",
        {"action": "stop", "description": "Left the union", "new_member_status": "left"},
    )
    started = await start(api, member, from_date="2025-01-01")

    stopped = await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/stop",
        {"reason": "UDM", "stop_date": "2025-07-01"},
    )
    assert (stopped["status"], stopped["to_date"], stopped["stop_reason"]) == (
        "stopped",
        "2025-06-30",  # the stop date is the first day without coverage
        "UDM",
    )
    assert (await lifecycle(api, started["id"]))[-1] == ("stop", "UDM", "2025-07-01")
    [event] = await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"])
    assert event["aggregateversion"] == 2
    assert event["data"] | {"subscription_id": None, "member_id": None} == {
        "subscription_id": None,
        "subscription_no": 1,
        "member_id": None,
        "product_code": "MEDLEM",
        "stop_date": "2025-07-01",
        "reason_code": "UDM",
        "credited": False,
        "related_subscription_ids": [],
        "member_status_to_set": "left",
    }

    problem = await api.call("POST", f"/v1/subscriptions/{started['id']}/stop", {}, expect=409)
    assert problem["type"] == PROBLEM + "subscription-not-active"


async def test_a_stop_with_related_stops_stops_the_magazine_too(
    api: Billing, member: uuid.UUID
) -> None:
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
        {"stop_date": "2025-07-01", "stop_related": True},
    )
    [main] = await api.outbox(SUBSCRIPTION_STOPPED.type, membership["id"])
    assert main["data"]["related_subscription_ids"] == [magazine["id"]]
    [related] = await api.outbox(SUBSCRIPTION_STOPPED.type, magazine["id"])
    assert related["data"]["stop_date"] == "2025-07-01"
    assert related["data"]["member_status_to_set"] is None
    read = await api.call("GET", f"/v1/subscriptions/{magazine['id']}")
    assert (read["status"], read["to_date"]) == ("stopped", "2025-06-30")


async def test_a_price_code_change_writes_pris_entries_and_publishes_the_change(
    api: Billing, member: uuid.UUID
) -> None:
    await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": "MEDLEM",
            "code": "PENS",
            "description": "Pensioner",
            "first_term": "1Å",
            "subsequent_term": "1Å",
        },
        expect=201,
    )
    started = await start(api, member, from_date="2025-01-01")
    changed = await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/price-code",
        {"price_code": "PENS", "from_date": "2025-03-01"},
    )
    assert (changed["price_code"], changed["version"]) == ("PENS", 2)
    assert (await lifecycle(api, started["id"]))[1:] == [
        ("price_change", "PRIS-", "2025-03-01"),
        ("price_change", "PRIS+", "2025-03-01"),
    ]
    [event] = await api.outbox(SUBSCRIPTION_PRICE_CODE_CHANGED.type, started["id"])
    assert (event["aggregateversion"], event["data"]["old_price_code"]) == (2, "ORD")
    assert (event["data"]["new_price_code"], event["data"]["effective_date"]) == (
        "PENS",
        "2025-03-01",
    )


async def test_a_price_change_inside_a_billed_period_is_refused_and_changes_nothing(
    api: Billing, member: uuid.UUID
) -> None:
    await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": "MEDLEM",
            "code": "PENS",
            "description": "Pensioner",
            "first_term": "1Å",
            "subsequent_term": "1Å",
        },
        expect=201,
    )
    started = await start(api, member, from_date="2025-01-01")
    await charge(api, started["id"], date(2025, 1, 1), date(2025, 12, 31))

    problem = await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/price-code",
        {"price_code": "PENS", "from_date": "2025-06-01"},
        expect=409,
    )
    assert problem["type"] == PROBLEM + "price-change-inside-billed-period"
    assert "2026-01-01" in problem["detail"]
    read = await api.call("GET", f"/v1/subscriptions/{started['id']}")
    assert (read["price_code"], read["version"]) == ("ORD", 2)
    assert len(await lifecycle(api, started["id"])) == 1
    assert await api.outbox(SUBSCRIPTION_PRICE_CODE_CHANGED.type, started["id"]) == []

    # By default the change takes effect with the next billing period.
    await api.call("POST", f"/v1/subscriptions/{started['id']}/price-code", {"price_code": "PENS"})
    assert (await lifecycle(api, started["id"]))[-1] == ("price_change", "PRIS+", "2026-01-01")


async def test_a_payer_change_starts_after_the_latest_invoiced_period(
    api: Billing, member: uuid.UUID
) -> None:
    other = await payer_of(api, await api.member_joins("Bo Berg", member_number=2))
    started = await start(api, member, from_date="2025-01-01")
    await charge(api, started["id"], date(2025, 1, 1), date(2025, 12, 31))

    await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/payer",
        {"payer_account_id": str(uuid.uuid4())},
        expect=404,
    )
    changed = await api.call(
        "POST", f"/v1/subscriptions/{started['id']}/payer", {"payer_account_id": other["id"]}
    )
    assert changed["version"] == 3
    assert (await lifecycle(api, started["id"]))[1:] == [
        ("payer_change", "DEB-", "2026-01-01"),
        ("payer_change", "DEB+", "2026-01-01"),
    ]
    [event] = await api.outbox(SUBSCRIPTION_PAYER_CHANGED.type, started["id"])
    assert event["data"]["new_payer_account_id"] == other["id"]
    assert event["data"]["effective_date"] == "2026-01-01"


async def test_a_temporary_move_writes_its_return_and_publishes_the_move(
    api: Billing, member: uuid.UUID
) -> None:
    await address_event(api, member, 2)  # deliveries move only to an address billing knows
    started = await start(api, member, from_date="2025-01-01")
    await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/move",
        {"address_no": 2, "from_date": "2025-06-01", "to_date": "2025-08-31"},
    )
    assert (await lifecycle(api, started["id"]))[1:] == [
        ("move", "FLYT-", "2025-06-01"),
        ("move", "FLYT+", "2025-06-01"),
        ("move", "FLYT-", "2025-09-01"),
        ("move", "FLYT+", "2025-09-01"),
    ]
    [event] = await api.outbox(SUBSCRIPTION_DELIVERY_MOVED.type, started["id"])
    assert event["data"] | {"subscription_id": None, "member_id": None} == {
        "subscription_id": None,
        "subscription_no": 1,
        "member_id": None,
        "product_code": "MEDLEM",
        "old_address_no": 0,
        "new_address_no": 2,
        "from_date": "2025-06-01",
        "to_date": "2025-08-31",
    }


async def test_a_restart_resumes_where_the_stop_left_off(api: Billing, member: uuid.UUID) -> None:
    started = await start(api, member, from_date="2025-01-01")
    problem = await api.call("POST", f"/v1/subscriptions/{started['id']}/restart", {}, expect=409)
    assert problem["type"] == PROBLEM + "subscription-not-stopped"
    await api.call("POST", f"/v1/subscriptions/{started['id']}/stop", {"stop_date": "2025-04-01"})

    restarted = await api.call("POST", f"/v1/subscriptions/{started['id']}/restart", {})
    assert (restarted["status"], restarted["to_date"], restarted["version"]) == (
        "active",
        None,
        3,
    )
    assert (await lifecycle(api, started["id"]))[-1] == ("start", "START", "2025-04-01")
    [event] = await api.outbox(SUBSCRIPTION_RESTARTED.type, started["id"])
    assert (event["aggregateversion"], event["data"]["from_date"]) == (3, "2025-04-01")


async def test_only_a_never_charged_inactive_subscription_can_be_deleted(
    api: Billing, member: uuid.UUID
) -> None:
    active = await start(api, member, from_date="2025-01-01")
    problem = await api.call("DELETE", f"/v1/subscriptions/{active['id']}", expect=409)
    assert problem["type"] == PROBLEM + "cannot-delete"

    later = (date.today() + timedelta(days=30)).isoformat()
    future = await start(api, member, from_date=later)
    assert future["status"] == "new"
    await api.call("DELETE", f"/v1/subscriptions/{future['id']}", expect=204)
    await api.call("GET", f"/v1/subscriptions/{future['id']}", expect=404)
    [event] = await api.outbox(SUBSCRIPTION_DELETED.type, future["id"])
    assert event["aggregateversion"] == 2
    page = await api.call("GET", "/v1/subscriptions", params={"member_id": str(member)})
    assert [s["id"] for s in page["items"]] == [active["id"]]
    # The lifecycle stays for the audit trail.
    assert await api.count("lifecycle_entries", "subscription_id = :id", id=future["id"]) == 1


async def test_impossible_dates_are_refused_and_nothing_is_stored(
    api: Billing, member: uuid.UUID
) -> None:
    problem = await api.call(
        "POST",
        "/v1/subscriptions",
        {
            "member_id": str(member),
            "product": "MEDLEM",
            "from_date": "2025-03-01",
            "to_date": "2025-02-01",
            "stop_reason": "STOP",
        },
        expect=422,
    )
    assert problem["type"] == PROBLEM + "impossible-dates"
    problem = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "MEDLEM", "from_date": "2025-02-30"},
        expect=422,
    )
    assert problem["type"] == PROBLEM + "validation-error"
    problem = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "MEDLEM", "to_date": "2099-01-01"},
        expect=422,
    )
    assert problem["type"] == PROBLEM + "stop-reason-required"
    assert await api.count("subscriptions", "tenant = :t", t=api.tenant) == 0

    started = await start(api, member, from_date="2025-03-01")
    assert started["subscription_no"] == 1  # refused starts gave their numbers back
    problem = await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/stop",
        {"stop_date": "2025-02-01"},
        expect=422,
    )
    assert problem["type"] == PROBLEM + "impossible-dates"
    assert (await api.call("GET", f"/v1/subscriptions/{started['id']}"))["version"] == 1


async def test_unknown_codes_are_not_found_and_change_nothing(
    api: Billing, member: uuid.UUID
) -> None:
    problem = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "MEDLEM", "price_code": "NOPE"},
        expect=404,
    )
    assert problem["type"] == PROBLEM + "unknown-price-code"
    problem = await api.call(
        "POST", "/v1/subscriptions", {"member_id": str(member), "product": "NOPE"}, expect=404
    )
    assert problem["type"] == PROBLEM + "unknown-product"
    problem = await api.call(
        "POST", "/v1/subscriptions", {"member_id": str(uuid.uuid4())}, expect=404
    )
    assert problem["type"] == PROBLEM + "member-not-found"

    started = await start(api, member, from_date="2025-01-01")
    problem = await api.call(
        "POST", f"/v1/subscriptions/{started['id']}/stop", {"reason": "NOPE"}, expect=404
    )
    assert problem["type"] == PROBLEM + "missing-reason-code"
    assert len(await api.outbox(SUBSCRIPTION_STOPPED.type, started["id"])) == 0
    assert await api.count("subscriptions", "tenant = :t", t=api.tenant) == 1


async def test_the_prerequisite_product_must_be_on_the_member_first(
    api: Billing, member: uuid.UUID
) -> None:
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
    await api.call("PUT", "/v1/settings", {"prerequisite_product": "MEDLEM"})
    magazine = {"product": "BLAD", "price_code": "STD"}
    problem = await api.call(
        "POST", "/v1/subscriptions", {"member_id": str(member), **magazine}, expect=409
    )
    assert problem["type"] == PROBLEM + "prerequisite-product-missing"
    await start(api, member)
    await start(api, member, **magazine)


async def test_lifecycle_entries_cannot_be_changed_or_removed(
    api: Billing, member: uuid.UUID
) -> None:
    started = await start(api, member)
    for statement in (
        "UPDATE lifecycle_entries SET reason_code = 'X' WHERE subscription_id = :id",
        "DELETE FROM lifecycle_entries WHERE subscription_id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with api.service.runtime.db.transaction() as session:
                await session.execute(text(statement), {"id": started["id"]})
    assert await api.count("lifecycle_entries", "subscription_id = :id", id=started["id"]) == 1


async def test_subscriptions_are_listed_by_member_status_and_product_in_pages(
    api: Billing, member: uuid.UUID
) -> None:
    other = await api.member_joins("Bo Berg", member_number=2)
    first = await start(api, member, from_date="2025-01-01")
    await api.call("POST", f"/v1/subscriptions/{first['id']}/stop", {"stop_date": "2025-02-01"})
    second = await start(api, member, from_date="2025-01-01")
    third = await start(api, other, from_date="2025-01-01")

    async def listed(**params: Any) -> list[int]:
        page = await api.call("GET", "/v1/subscriptions", params=params)
        return [s["subscription_no"] for s in page["items"]]

    assert await listed() == [1, 2, 3]
    assert await listed(member_id=str(member)) == [1, 2]
    assert await listed(status="active") == [second["subscription_no"], third["subscription_no"]]
    assert await listed(status="stopped") == [1]
    assert await listed(product="BLAD") == []
    page = await api.call("GET", "/v1/subscriptions", params={"limit": 2, "offset": 2})
    assert (page["total"], [s["subscription_no"] for s in page["items"]]) == (3, [3])


async def test_changing_subscriptions_needs_the_member_card_role(
    api: Billing, member: uuid.UUID
) -> None:
    body = {"member_id": str(member), "product": "MEDLEM"}
    reader = api.headers(Role.READ)
    await api.call("POST", "/v1/subscriptions", body, expect=403, headers=reader)
    started = await api.call(
        "POST", "/v1/subscriptions", body, expect=201, headers=api.headers(Role.MEMBER_CARD)
    )
    await api.call("GET", f"/v1/subscriptions/{started['id']}", headers=reader)
