"""Billing's copy of the members' addresses a subscription can deliver to (SPEC §2.2 rule 11,
*Adressenr.*): number 0 is the member's primary address (the member copy), numbers from 1 the
alternative addresses members announces (`members.alternative_address.added|removed`).

The copy is order-safe: each address is its own aggregate, a removal is a newer version that
leaves a tombstone, so a late `added` never brings a removed address back. An erased member's
addresses keep their numbers and lose everything personal.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.storage.tables import member_addresses, members
from federa.shared.contracts.members import AlternativeAddressV1
from federa.shared.envelope import CloudEvent
from federa.shared.http.problems import Problem
from federa.shared.projection import upsert_if_newer_in_tx

PRIMARY = 0
ADDRESS_FIELDS = ("name", "address", "address_2", "postcode", "city", "country_code")


async def keep_address_copy_in_tx(
    session: AsyncSession, event: CloudEvent, data: AlternativeAddressV1, *, removed: bool
) -> None:
    values = data.model_dump(exclude={"at", "by"})
    values.update(tenant=event.tenant, removed=removed, version=event.aggregateversion)
    await upsert_if_newer_in_tx(session, member_addresses, values, key=["address_id"])


async def scrub_addresses_in_tx(session: AsyncSession, member_id: uuid.UUID) -> None:
    await session.execute(
        update(member_addresses)
        .where(member_addresses.c.member_id == member_id)
        .values(name=None, name_2=None, address=None, address_2=None, postcode=None, city=None)
    )


async def delivery_address(
    session: AsyncSession, tenant: str, member_id: uuid.UUID, address_no: int
) -> dict[str, Any] | None:
    """The address deliveries numbered `address_no` go to; None when billing knows no such
    address of the member (not announced yet, or removed)."""
    if address_no == PRIMARY:
        query = select(*(members.c[f] for f in ADDRESS_FIELDS)).where(
            members.c.tenant == tenant, members.c.member_id == member_id
        )
    else:
        query = select(*(member_addresses.c[f] for f in ADDRESS_FIELDS)).where(
            member_addresses.c.tenant == tenant,
            member_addresses.c.member_id == member_id,
            member_addresses.c.address_no == address_no,
            member_addresses.c.removed.is_(False),
        )
    row = (await session.execute(query)).mappings().first()
    return None if row is None else {"address_no": address_no, **row}


async def require_delivery_address(
    session: AsyncSession, tenant: str, member_id: uuid.UUID, address_no: int
) -> None:
    """A start or move to an address the member does not have is refused (409: the address
    may still be on its way from members)."""
    if await delivery_address(session, tenant, member_id, address_no) is None:
        raise Problem(
            409,
            "unknown-delivery-address",
            "Refused in the current state",
            f"Member {member_id} has no address number {address_no}.",
        )
