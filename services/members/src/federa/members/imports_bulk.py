"""Writing many rows at once: the bulk path of an import.

A chunk's rows go in with PostgreSQL's binary COPY on the session's own connection, inside the
chunk's transaction. Measured on this project's machine for a chunk of 1000 members (1000
member rows, 3000 affiliations, 1000 history rows, 4000 outbox rows): COPY 255 ms, one
`INSERT … SELECT FROM unnest(<array per column>)` per table 370 ms, executemany 630 ms; COPY
also spends the least CPU in this process, which the import shares with the outbox relay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from opentelemetry import propagate
from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.storage.tables import outbox
from federa.shared.envelope import CloudEvent, routing_key_of
from federa.shared.messaging.outbox import NOTIFY_CHANNEL

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]

_ALLOCATE_MEMBER_NUMBERS = text(
    """
    INSERT INTO member_numbers (tenant, last_number) VALUES (:tenant, :n)
    ON CONFLICT (tenant) DO UPDATE SET last_number = member_numbers.last_number + :n
    RETURNING last_number
    """
)
Converter = Callable[[Any], Any]


async def allocate_member_numbers_in_tx(session: AsyncSession, tenant: str, n: int) -> list[int]:
    """A block of `n` consecutive member numbers in one statement.

    The tenant's row stays locked until the chunk commits (as one registration locks it), so
    numbers stay unique and gapless; a rolled-back chunk gives its block back.
    """
    if n == 0:
        return []
    result = await session.execute(_ALLOCATE_MEMBER_NUMBERS, {"tenant": tenant, "n": n})
    last = int(result.scalar_one())
    return list(range(last - n + 1, last + 1))


def _as_is(value: Any) -> Any:
    return value


def _as_json(value: Any) -> Any:
    # asyncpg's binary jsonb codec takes the document as text.
    return value if value is None or isinstance(value, str) else json.dumps(value)


@cache
def _converters(table: Table, columns: tuple[str, ...]) -> tuple[Converter, ...]:
    kinds = [table.c[c].type.compile(dialect=_DIALECT).lower() for c in columns]
    return tuple(_as_json if kind in ("json", "jsonb") else _as_is for kind in kinds)


async def _driver_connection_in_tx(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction."""
    connection = await session.connection()
    raw: Any = (await connection.get_raw_connection()).driver_connection
    if raw is None:
        raise RuntimeError("the session has no database connection")
    if not raw.is_in_transaction():
        # The adapter begins the database transaction with the first statement it runs.
        await session.execute(text("SELECT 1"))
    if not raw.is_in_transaction():
        raise RuntimeError("no transaction to copy into")
    return raw


async def insert_rows_in_tx(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows` (all with the same keys) with one COPY."""
    if not rows:
        return
    columns = tuple(rows[0])
    converters = _converters(table, columns)
    records = [
        tuple(convert(row[c]) for c, convert in zip(columns, converters, strict=True))
        for row in rows
    ]
    driver = await _driver_connection_in_tx(session)
    await driver.copy_records_to_table(table.name, records=records, columns=list(columns))


class OutboxWriter:
    """Outbox rows as `record_event_in_tx` writes them, for one chunk's trace context."""

    def __init__(self, exchange: str = "events") -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        self._exchange = exchange
        self._headers = json.dumps(carrier)
        self._traceparent = carrier.get("traceparent")
        self._routing_keys: dict[str, str] = {}

    def row(self, event: CloudEvent) -> dict[str, Any]:
        if self._traceparent is not None:
            event = event.model_copy(update={"traceparent": self._traceparent})
        routing_key = self._routing_keys.get(event.type)
        if routing_key is None:
            routing_key = self._routing_keys[event.type] = routing_key_of(event.type)
        return {
            "event_id": event.id,
            "event_type": event.type,
            "exchange": self._exchange,
            "routing_key": routing_key,
            "aggregate_key": f"{event.source}|{event.subject or ''}",
            "payload": event.to_json().decode(),
            "headers": self._headers,
        }


async def record_events_in_tx(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store outbox rows (from `OutboxWriter.row`) at once, with one notification."""
    if not rows:
        return
    await insert_rows_in_tx(session, outbox, rows)
    await session.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
