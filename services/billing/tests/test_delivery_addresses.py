"""Billing's copy of the members' alternative addresses: a move or start must name an address
the member has, and a subscription's delivery address can be read as of a day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from federa.shared.contracts.billing import SUBSCRIPTION_DELIVERY_MOVED
from federa.shared.contracts.members import (
    ALTERNATIVE_ADDRESS_ADDED,
    ALTERNATIVE_ADDRESS_REMOVED,
    MEMBER_ERASED,
    AlternativeAddressV1,
    MemberErasedV1,
)
from federa.shared.envelope import new_event

from .conftest import Billing, create_membership

PROBLEM = "https://federa.dev/problems/"
TODAY = date.today()


async def address_event(
    api: Billing,
    member_id: uuid.UUID,
    address_no: int,
    *,
    removed: bool = False,
    version: int = 1,
    address_id: uuid.UUID | None = None,
    city: str = "Bergen",
) -> uuid.UUID:
    """Billing hears `alternative_address.added` (or `.removed`), as from the members
    service."""
    address_id = address_id or uuid.uuid4()
    data = AlternativeAddressV1(
        address_id=address_id,
        member_id=member_id,
        address_no=address_no,
        address_type="summer",
        address="Bryggen 3",
        postcode="5003",
        city=city,
        country_code="NO",
        at=datetime.now(UTC),
        by="test",
    )
    spec = ALTERNATIVE_ADDRESS_REMOVED if removed else ALTERNATIVE_ADDRESS_ADDED
    event = new_event(
        spec, data, subject=str(address_id), tenant=api.tenant, aggregate_version=version
    )
    assert await api.service.runtime.consumer.handle(event.to_json()) == "applied"
    return address_id


async def start(api: Billing, member_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = {"member_id": str(member_id), "product": "MEDLEM", "from_date": "2025-01-01", **fields}
    started: dict[str, Any] = await api.call("POST", "/v1/subscriptions", body, expect=201)
    return started


async def test_a_move_needs_an_address_the_member_has(api: Billing) -> None:
    await create_membership(api)
    member = await api.member_joins("Anna Berg", address="Storgata 1", city="Oslo")
    started = await start(api, member)
    move = {"address_no": 2, "from_date": TODAY.isoformat()}

    problem = await api.call("POST", f"/v1/subscriptions/{started['id']}/move", move, expect=409)
    assert problem["type"] == PROBLEM + "unknown-delivery-address"
    assert (await api.call("GET", f"/v1/subscriptions/{started['id']}"))["version"] == 1
    assert await api.outbox(SUBSCRIPTION_DELIVERY_MOVED.type, started["id"]) == []
    # Another member's address number 2 is not this member's.
    await address_event(api, await api.member_joins("Bo", member_number=2), 2)
    await api.call("POST", f"/v1/subscriptions/{started['id']}/move", move, expect=409)

    await address_event(api, member, 2)
    moved = await api.call("POST", f"/v1/subscriptions/{started['id']}/move", move)
    assert moved["delivery_address_no"] == 2
    read = await api.call("GET", f"/v1/subscriptions/{started['id']}")
    assert read["delivery_address"] == {
        "address_no": 2,
        "name": None,
        "address": "Bryggen 3",
        "address_2": None,
        "postcode": "5003",
        "city": "Bergen",
        "country_code": "NO",
    }


async def test_the_delivery_address_as_of_a_day_follows_a_temporary_move(api: Billing) -> None:
    await create_membership(api)
    member = await api.member_joins("Anna Berg", address="Storgata 1", city="Oslo")
    await address_event(api, member, 1)
    started = await start(api, member)
    away, back = TODAY + timedelta(days=10), TODAY + timedelta(days=20)
    await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/move",
        {"address_no": 1, "from_date": away.isoformat(), "to_date": back.isoformat()},
    )

    async def city_on(day: date) -> str:
        address = await api.call(
            "GET",
            f"/v1/subscriptions/{started['id']}/delivery-address",
            params={"on": day.isoformat()},
        )
        city: str = address["city"]
        return city

    assert [await city_on(d) for d in (TODAY, away, back, back + timedelta(days=1))] == [
        "Oslo",
        "Bergen",
        "Bergen",
        "Oslo",
    ]
    read = await api.call("GET", f"/v1/subscriptions/{started['id']}")
    assert (read["delivery_address_no"], read["delivery_address"]["city"]) == (0, "Oslo")


async def test_a_removed_address_stays_removed_whatever_the_order(api: Billing) -> None:
    await create_membership(api)
    member = await api.member_joins("Anna Berg")
    address_id = uuid.uuid4()
    # The removal overtakes the addition on the way.
    await address_event(api, member, 3, removed=True, version=2, address_id=address_id)
    await address_event(api, member, 3, version=1, address_id=address_id, city="Stale")
    problem = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "MEDLEM", "delivery_address_no": 3},
        expect=409,
    )
    assert problem["type"] == PROBLEM + "unknown-delivery-address"
    assert await api.count("subscriptions", "tenant = :t", t=api.tenant) == 0

    await address_event(api, member, 4)
    started = await start(api, member, delivery_address_no=4)
    assert started["delivery_address_no"] == 4


async def test_an_erased_members_addresses_keep_their_numbers_only(api: Billing) -> None:
    member = await api.member_joins("Anna Berg")
    await address_event(api, member, 1)
    erased = MemberErasedV1(
        member_id=member, member_number=1, erased_at=datetime.now(UTC), erased_by="dpo"
    )
    event = new_event(
        MEMBER_ERASED, erased, subject=str(member), tenant=api.tenant, aggregate_version=2
    )
    assert await api.service.runtime.consumer.handle(event.to_json()) == "applied"
    assert await api.count("member_addresses", "member_id = :m AND address_no = 1", m=member) == 1
    assert await api.count("member_addresses", "member_id = :m AND address IS NULL", m=member) == 1
