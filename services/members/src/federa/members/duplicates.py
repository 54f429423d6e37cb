"""Search keys and the duplicate check (SPEC §2.1 rules 1-2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.duplicate_keys import street_key
from federa.members.domain.phonetic import canonical_spellings, normalise, phonetic_key
from federa.members.storage.tables import members, phonetic_equivalences

# More members than this sharing one phonetic name and postcode is not a duplicate question.
_CANDIDATE_CEILING = 500


def equivalences_lock(tenant: str) -> ColumnElement[int]:
    """The advisory lock key guarding a tenant's equivalence table and the keys built from it."""
    return func.hashtextextended(f"federa.members.phonetic:{tenant}", 0)


async def spellings_in_tx(session: AsyncSession, tenant: str) -> dict[str, str]:
    """The tenant's canonical spellings, held until the caller's transaction ends.

    The shared lock makes a change of the table (which takes it exclusively and re-keys
    every member) wait for transactions keying names with the old table, and those
    transactions wait for the change: no member is left keyed with a table that is gone.
    """
    await session.execute(select(func.pg_advisory_xact_lock_shared(equivalences_lock(tenant))))
    rows = await session.execute(
        select(phonetic_equivalences.c.fragment, phonetic_equivalences.c.phonetic).where(
            phonetic_equivalences.c.tenant == tenant
        )
    )
    return canonical_spellings((r.fragment, r.phonetic) for r in rows)


def search_keys(name: str, spellings: Mapping[str, str]) -> dict[str, str]:
    return {"search_name": normalise(name), "phonetic_name": phonetic_key(name, spellings)}


def postcode_forms(postcode: str) -> list[str]:
    """The postcode as given and in the upper case foreign prefixes are written in."""
    given = postcode.strip()
    return sorted({given, given.upper()})


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

    The index on (tenant, phonetic_name) and the postcode narrow the candidates to a handful;
    their streets are compared here, through `street_key`, so a split address and a typed
    one-line address of the same house match. Without a postcode there is nothing to compare
    an address with.
    """
    if not postcode or not postcode.strip() or not phonetic_name:
        return []
    wanted = street_key(street_name, street_no, None, address)
    rows = await session.execute(
        select(
            members.c.id,
            members.c.member_number,
            members.c.name,
            members.c.address,
            members.c.postcode,
            members.c.street_name,
            members.c.street_no,
            members.c.street_letter,
        )
        .where(
            members.c.tenant == tenant,
            members.c.phonetic_name == phonetic_name,
            members.c.postcode.in_(postcode_forms(postcode)),
            members.c.erased_at.is_(None),
        )
        .order_by(members.c.member_number)
        .limit(_CANDIDATE_CEILING)
    )
    candidates = []
    for row in rows:
        if street_key(row.street_name, row.street_no, row.street_letter, row.address) != wanted:
            continue
        candidates.append(
            {
                "id": row.id,
                "member_number": row.member_number,
                "name": row.name,
                "address": row.address,
                "postcode": row.postcode,
            }
        )
        if len(candidates) >= limit:
            break
    return candidates
