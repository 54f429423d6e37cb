"""Async SQLAlchemy engine, transactions with after-commit hooks, and database creation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, Uuid, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from federa.shared.settings import Settings, plain_pg_url

# Set on a session by the outbox when the transaction recorded an event.
EVENTS_WRITTEN = "federa.events_written"


class Database:
    """One service's database: the engine and the only place transactions begin and end.

    Handlers and routes receive a session inside a transaction and never commit themselves;
    the boundary that opened the transaction commits it and then runs the after-commit hooks
    (the outbox relay's wake-up).
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        self._after_commit.append(hook)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            async with session.begin():
                yield session
            # Only a transaction that wrote events wakes the relay; waking it after every
            # commit made each consumed event cost an extra relay pass.
            if session.info.get(EVENTS_WRITTEN):
                for hook in self._after_commit:
                    hook()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def ensure_database(settings: Settings) -> bool:
    """Create the service's database on the server if it does not exist; True if created."""
    conn = await asyncpg.connect(plain_pg_url(settings.server_url), timeout=10)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", settings.database_name
        )
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{settings.database_name}"')
        except asyncpg.DuplicateDatabaseError:
            return False  # another replica created it a moment ago
        return True
    finally:
        await conn.close()


async def drop_database(settings: Settings) -> None:
    conn = await asyncpg.connect(plain_pg_url(settings.server_url), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{settings.database_name}" WITH (FORCE)')
    finally:
        await conn.close()


def is_any_of(
    column: ColumnElement[Any], values: Iterable[uuid.UUID], name: str
) -> ColumnElement[bool]:
    """`column = ANY(:name)` with the ids as one uuid[] parameter: an `IN` list of a chunk's
    hundreds of ids is rendered, bound and planned as hundreds of parameters each time."""
    return column == any_(bindparam(name, list(values), type_=ARRAY(Uuid)))
