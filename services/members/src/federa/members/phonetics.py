"""The tenant's phonetic equivalence table (SPEC §2.1 rule 2) and re-keying its members.

Stored normalised and in both directions: SPEC asks that each pair be registered in both
fields (*Stavelse* and *Fonetisk*); the service does that itself, so a table read back and
sent again is unchanged.

Re-keying rewrites `phonetic_name` (and `search_name`, should normalisation have changed) of
every member of the tenant but the erased, in batches along the member-number index, inside
the caller's transaction. The keys are internal search columns, not member data: no version,
history or event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.phonetic import canonical_spellings, normalise, phonetic_keyer
from federa.members.duplicates import equivalences_lock
from federa.members.storage.tables import members, phonetic_equivalences

REKEY_BATCH = 5000

_SET_KEYS = text(
    """
    UPDATE members AS m SET search_name = v.search_name, phonetic_name = v.phonetic_name
    FROM unnest(CAST(:ids AS uuid[]), CAST(:search AS text[]), CAST(:phonetic AS text[]))
        AS v(id, search_name, phonetic_name)
    WHERE m.id = v.id
    """
)


async def equivalences_of(session: AsyncSession, tenant: str) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(phonetic_equivalences.c.fragment, phonetic_equivalences.c.phonetic)
        .where(phonetic_equivalences.c.tenant == tenant)
        .order_by(phonetic_equivalences.c.fragment, phonetic_equivalences.c.phonetic)
    )
    return [(r.fragment, r.phonetic) for r in rows]


def both_directions(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Normalised pairs, each also the other way round, without repeats, sorted."""
    stored: set[tuple[str, str]] = set()
    for fragment, phonetic in pairs:
        a, b = normalise(fragment), normalise(phonetic)
        stored.update({(a, b), (b, a)})
    return sorted(stored)


async def replace_equivalences_in_tx(
    session: AsyncSession, tenant: str, pairs: Iterable[tuple[str, str]]
) -> int:
    """Replace the tenant's table and re-key its members; the number of members re-keyed.

    The exclusive lock waits for registrations and renames that read the old table and holds
    new ones back until this transaction ends (see `duplicates.spellings_in_tx`).
    """
    await session.execute(select(func.pg_advisory_xact_lock(equivalences_lock(tenant))))
    rows = both_directions(pairs)
    await session.execute(
        delete(phonetic_equivalences).where(phonetic_equivalences.c.tenant == tenant)
    )
    if rows:
        await session.execute(
            insert(phonetic_equivalences),
            [{"tenant": tenant, "fragment": a, "phonetic": b} for a, b in rows],
        )
    return await rekey_members_in_tx(session, tenant, canonical_spellings(rows))


async def rekey_members_in_tx(
    session: AsyncSession, tenant: str, canonical: dict[str, str], batch: int = REKEY_BATCH
) -> int:
    """Recompute every member's search keys with `canonical`; the number that changed."""
    key = phonetic_keyer(canonical, normalised=True)
    changed = 0
    after = 0
    while True:
        rows = (
            await session.execute(
                select(
                    members.c.id,
                    members.c.member_number,
                    members.c.name,
                    members.c.search_name,
                    members.c.phonetic_name,
                )
                .where(
                    members.c.tenant == tenant,
                    members.c.member_number > after,
                    # Erasure empties the keys; the pseudonym must not be made findable.
                    members.c.erased_at.is_(None),
                )
                .order_by(members.c.member_number)
                .limit(batch)
            )
        ).all()
        if not rows:
            return changed
        stale: dict[str, list[Any]] = {"ids": [], "search": [], "phonetic": []}
        for row in rows:
            search_name = normalise(row.name)
            phonetic_name = key(search_name)
            if (search_name, phonetic_name) != (row.search_name, row.phonetic_name):
                stale["ids"].append(row.id)
                stale["search"].append(search_name)
                stale["phonetic"].append(phonetic_name)
        if stale["ids"]:
            await session.execute(_SET_KEYS, stale)
            changed += len(stale["ids"])
        after = rows[-1].member_number
        if len(rows) < batch:
            return changed
