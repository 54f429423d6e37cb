"""Billing's copy of members and organisations, and the payer account each member gets."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import text

from federa.shared.contracts.billing import PAYER_ACCOUNT_CREATED, PAYER_ACCOUNT_UPDATED
from federa.shared.contracts.members import (
    MEMBER_ERASED,
    MEMBER_UPDATED,
    MemberErasedV1,
    MemberUpdatedV1,
)
from federa.shared.envelope import new_event

from .conftest import Billing


async def apply_update(api: Billing, member_id: uuid.UUID, version: int, **fields: object) -> str:
    data = MemberUpdatedV1(
        member_id=member_id,
        member_number=1,
        name="Anna Berg",
        status="active",
        enrolment_date=date(2024, 1, 1),
        changed_fields=sorted(fields),
        updated_at=datetime.now(UTC),
        updated_by="test",
        **fields,
    )
    event = new_event(
        MEMBER_UPDATED, data, subject=str(member_id), tenant=api.tenant, aggregate_version=version
    )
    return await api.service.runtime.consumer.handle(event.to_json())


async def test_member_registered_gives_the_member_its_own_payer_account(api: Billing) -> None:
    member = await api.member_joins(
        "Anna Berg", address="Storgata 1", postcode="0150", city="Oslo", country_code="NO"
    )
    [account] = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    assert account | {"id": None} == {
        "id": None,
        "number": 1,
        "owner_member_id": str(member),
        "owner_organisation_id": None,
        "name": "Anna Berg",
        "name_2": None,
        "address": "Storgata 1",
        "address_2": None,
        "postcode": "0150",
        "city": "Oslo",
        "country_code": "NO",
        "email": None,
        "gln": None,
        "e_invoice_payment_method": None,
        "version": 1,
    }
    [created] = await api.outbox(PAYER_ACCOUNT_CREATED.type, account["id"])
    assert created["data"]["owner_member_id"] == str(member)
    async with api.service.runtime.db.sessions() as session:
        default = (
            await session.execute(
                text("SELECT default_payer_account_id FROM members WHERE member_id = :m"),
                {"m": member},
            )
        ).scalar_one()
    assert str(default) == account["id"]


async def test_later_member_events_sync_the_account_and_older_ones_change_nothing(
    api: Billing,
) -> None:
    member = await api.member_joins("Anna Berg", address="Storgata 1", value_units=10)
    assert await apply_update(api, member, 2, address="Kirkegata 5", value_units=20) == "applied"
    account = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    assert (account[0]["address"], account[0]["version"]) == ("Kirkegata 5", 2)
    [updated] = await api.outbox(PAYER_ACCOUNT_UPDATED.type, account[0]["id"])
    assert updated["aggregateversion"] == 2

    # A late event (version 2 again, another event id) is stale: nothing changes.
    assert await apply_update(api, member, 2, address="Old Road 9") == "applied"
    account = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    assert (account[0]["address"], account[0]["version"]) == ("Kirkegata 5", 2)
    assert await api.count("members", "member_id = :m AND value_units = 20", m=member) == 1


async def test_an_erased_member_leaves_an_account_without_personal_data(api: Billing) -> None:
    member = await api.member_joins("Anna Berg", address="Storgata 1", email="anna@example.org")
    erased = MemberErasedV1(
        member_id=member, member_number=1, erased_at=datetime.now(UTC), erased_by="dpo"
    )
    event = new_event(
        MEMBER_ERASED, erased, subject=str(member), tenant=api.tenant, aggregate_version=2
    )
    await api.service.runtime.consumer.handle(event.to_json())
    [account] = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    assert (account["name"], account["address"], account["email"]) == (
        "Erased member 1",
        None,
        None,
    )
    assert account["number"] == 1
