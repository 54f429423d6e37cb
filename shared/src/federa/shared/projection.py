"""Order-safe projections: a copy is overwritten only by a newer version of its aggregate."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.members import MemberErasedV1, MemberState
from federa.shared.envelope import CloudEvent


async def upsert_if_newer_in_tx(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    version_column: str = "version",
) -> bool:
    """Insert the row, or update it if `values` carries a newer aggregate version.

    Returns False when the stored copy is as new or newer: a late or redelivered event never
    overwrites fresher state.
    """
    statement = _upsert_statement(table, tuple(sorted(values)), tuple(key), version_column)
    result = await session.execute(statement, dict(values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=256)
def _upsert_statement(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...], version_column: str
) -> Insert:
    # Built once per shape with bind parameters: building and hashing a fresh statement for
    # every consumed event was the largest cost of a projection update.
    stmt = insert(table).values({c: bindparam(c) for c in columns})
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c: stmt.excluded[c] for c in columns if c not in key},
        where=table.c[version_column] < stmt.excluded[version_column],
    )


async def keep_member_copy_in_tx(
    session: AsyncSession, table: Table, event: CloudEvent, member: MemberState
) -> bool:
    """Upsert a service's copy of a member from any member event (they all carry the state).

    The copy keeps whichever of the state's fields the table has columns for.
    """
    state = member.model_dump()
    values = {c.name: state[c.name] for c in table.columns if c.name in state}
    values.update(member_id=member.member_id, tenant=event.tenant, version=event.aggregateversion)
    return await upsert_if_newer_in_tx(session, table, values, key=["member_id"])


async def scrub_member_copy_in_tx(
    session: AsyncSession, table: Table, event: CloudEvent, erased: MemberErasedV1
) -> None:
    """Remove personal data from a copy after `member.erased`; ids and numbers stay."""
    personal: dict[str, object] = {
        c.name: None for c in table.columns if c.name in SCRUBBED_FIELDS and c.nullable
    }
    if "name" in table.c:
        personal["name"] = f"Erased member {erased.member_number}"
    await session.execute(
        update(table)
        .where(table.c.member_id == erased.member_id, table.c.version < event.aggregateversion)
        .values(**personal, version=event.aggregateversion)
    )


# Everything in a member copy that identifies or describes the person.
SCRUBBED_FIELDS = frozenset(
    {
        "name",
        "name_2",
        "address",
        "address_2",
        "email",
        "phone",
        "birth_date",
        "birth_year",
        "gender",
        "postcode",
        "city",
        "street_name",
        "street_no",
        "mobile",
    }
)
