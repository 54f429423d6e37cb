"""A tenant's billing setup publishes its changes: settings, reason codes, postage prices."""

from __future__ import annotations

from federa.shared.contracts.billing import (
    POSTAGE_PRICE_SCHEDULED,
    REASON_CODE_CREATED,
    REASON_CODE_UPDATED,
    SETTINGS_UPDATED,
)

from .conftest import Billing, create_membership

PROBLEM = "https://federa.dev/problems/"


async def test_settings_changes_are_published_whole_with_what_changed(api: Billing) -> None:
    await create_membership(api)
    settings = {"currency": "NOK", "default_product": "MEDLEM", "default_stop_reason": "STOP"}
    await api.call("PUT", "/v1/settings", settings)
    [event] = await api.outbox(SETTINGS_UPDATED.type, api.tenant)
    assert event["aggregateversion"] == 2
    assert event["data"] == {
        **settings,
        "prerequisite_product": None,
        "changed_fields": ["currency", "default_product"],
    }

    await api.call("PUT", "/v1/settings", settings)  # the same again: nothing to tell
    assert len(await api.outbox(SETTINGS_UPDATED.type, api.tenant)) == 1

    problem = await api.call("PUT", "/v1/settings", {"default_product": "NOPE"}, expect=404)
    assert problem["type"] == PROBLEM + "unknown-product"
    assert len(await api.outbox(SETTINGS_UPDATED.type, api.tenant)) == 1
    assert (await api.call("GET", "/v1/settings"))["currency"] == "NOK"


async def test_reason_codes_are_announced_when_seeded_added_and_changed(api: Billing) -> None:
    await api.call("GET", "/v1/reason-codes")  # sets the tenant up
    seeded = {e["subject"] for e in await api.outbox(REASON_CODE_CREATED.type)}
    assert seeded == {"START", "STOP", "DEB+", "DEB-", "FLYT+", "FLYT-", "PRIS+", "PRIS-"}

    body = {"action": "stop", "description": "Left the union", "new_member_status": "left"}
    await api.call("PUT", "/v1/reason-codes/UDM", body)
    [created] = await api.outbox(REASON_CODE_CREATED.type, "UDM")
    assert (created["aggregateversion"], created["data"]["new_member_status"]) == (1, "left")

    await api.call("PUT", "/v1/reason-codes/UDM", body)  # unchanged: no event
    await api.call("PUT", "/v1/reason-codes/UDM", {**body, "credit_on_stop": True})
    [updated] = await api.outbox(REASON_CODE_UPDATED.type, "UDM")
    assert (updated["aggregateversion"], updated["data"]["credit_on_stop"]) == (2, True)

    problem = await api.call(
        "PUT",
        "/v1/reason-codes/DEB+",
        {"action": "payer_to", "description": "x", "credit_on_stop": True},
        expect=422,
    )
    assert problem["type"] == PROBLEM + "invalid-catalogue"
    assert await api.outbox(REASON_CODE_UPDATED.type, "DEB+") == []


async def test_a_postage_price_is_published_when_scheduled(api: Billing) -> None:
    body = {
        "country_code": "NO",
        "postcode": "0150",
        "from_date": "2026-01-01",
        "description": "Postage Oslo",
        "amount": 1500,
    }
    price = await api.call("POST", "/v1/postage-prices", body, expect=201)
    [event] = await api.outbox(POSTAGE_PRICE_SCHEDULED.type, price["id"])
    assert event["data"] == {**body, "postage_price_id": price["id"], "currency": "DKK"}

    problem = await api.call("POST", "/v1/postage-prices", body, expect=422)
    assert problem["type"] == PROBLEM + "overlapping-price-validity"
    assert len(await api.outbox(POSTAGE_PRICE_SCHEDULED.type)) == 1
