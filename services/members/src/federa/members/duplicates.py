"""Search keys and the duplicate check (SPEC §2.1 rules 1-2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.phonetic import canonical_spellings, normalise, phonetic_key
from federa.members.storage.tables import members, phonetic_equivalences


async def spellings_in_tx(session: AsyncSession, tenant: str) -> dict[str, str]:
    rows = await session.execute(
        select(phonetic_equivalences.c.fragment, phonetic_equivalences.c.phonetic).where(
            phonetic_equivalences.c.tenant == tenant
        )
    )
    return canonical_spellings((r.fragment, r.phonetic) for r in rows)


def search_keys(name: str, spellings: Mapping[str, str]) -> dict[str, str]:
    return {"search_name": normalise(name), "phonetic_name": phonetic_key(name, spellings)}


async def probable_duplicates_in_tx(
    session: AsyncSession,
    *,
    tenant: str,
    phonetic_name: str,
    street_name: str | None,
    street_no: str | None,
    address: str | None,
    postcode: str | None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """Members with the same phonetic name at the same street, number and postcode.

    With a split address the street name and number are compared; with a one-line address,
    the normalised line. Without a postcode there is nothing to compare an address with.
    """
    if not postcode:
        return []
    query = select(
        members.c.id,
        members.c.member_number,
        members.c.name,
        members.c.address,
        members.c.postcode,
    ).where(
        members.c.tenant == tenant,
        members.c.phonetic_name == phonetic_name,
        members.c.postcode == postcode,
        members.c.erased_at.is_(None),
    )
    if street_name:
        query = query.where(members.c.street_name.ilike(street_name.strip()))
        if street_no:
            query = query.where(members.c.street_no == street_no.strip())
    elif address:
        query = query.where(members.c.address.ilike(address.strip()))
    rows = await session.execute(query.order_by(members.c.member_number).limit(limit))
    return [dict(r) for r in rows.mappings()]
