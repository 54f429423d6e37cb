"""Order-safe projections: a copy is overwritten only by a newer version of its aggregate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


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
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c: stmt.excluded[c] for c in values if c not in key},
        where=table.c[version_column] < stmt.excluded[version_column],
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
