"""Writes that a rebuild may hold back and send together.

The consumer runs each write at once. The rebuild buffers the writes of the projectors that
only write (`buffer_writes`) and sends each statement once per batch with all its rows
(asyncpg's executemany: one pipelined round trip instead of one per event). The rows of one
statement keep their order; statements may run in another order than their events, which is
safe because every buffered write is order-independent by design (an upsert guarded by the
aggregate version, an insert-once fact, or a document column owned by one event kind). A
projector that reads the read models flushes the buffer first (`flush_writes_in_tx`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

_BUFFER = "federa.statistics.write_buffer"


def buffer_writes(session: AsyncSession) -> None:
    session.info[_BUFFER] = {}


def buffering(session: AsyncSession) -> bool:
    return _BUFFER in session.info


async def write_in_tx(
    session: AsyncSession,
    statement: Executable,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> None:
    """Run `statement` for each row now, or hold it for the batch when buffering."""
    many = [dict(rows)] if isinstance(rows, Mapping) else [dict(r) for r in rows]
    if not many:
        return
    buffer: dict[int, tuple[Executable, list[dict[str, Any]]]] | None = session.info.get(_BUFFER)
    if buffer is None:
        await session.execute(statement, many[0] if len(many) == 1 else many)
        return
    # Keyed by identity: statements are built once and kept (below, and module constants).
    buffer.setdefault(id(statement), (statement, []))[1].extend(many)


async def flush_writes_in_tx(session: AsyncSession) -> None:
    buffer: dict[int, tuple[Executable, list[dict[str, Any]]]] | None = session.info.get(_BUFFER)
    if not buffer:
        return
    session.info[_BUFFER] = {}
    for statement, rows in buffer.values():
        await session.execute(statement, rows)


@functools.lru_cache(maxsize=64)
def upsert_if_newer(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...], version_column: str = "version"
) -> Insert:
    """The order-safe upsert of `federa.shared.projection`, as a statement to buffer: insert
    the row, or update it if it carries a newer aggregate version."""
    stmt = insert(table).values({c: bindparam(c) for c in columns})
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c: stmt.excluded[c] for c in columns if c not in key},
        where=table.c[version_column] < stmt.excluded[version_column],
    )


@functools.lru_cache(maxsize=64)
def insert_once(table: Table, columns: tuple[str, ...]) -> Insert:
    """Insert a fact unless it is there already (keyed by the table's primary key)."""
    return insert(table).values({c: bindparam(c) for c in columns}).on_conflict_do_nothing()
