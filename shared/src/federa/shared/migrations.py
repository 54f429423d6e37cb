"""Alembic glue: every service's env.py calls `run_env`, the process calls `upgrade`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from federa.shared.db import Database

# Replicas starting together must not run the same migration twice.
_MIGRATION_LOCK = 0x6665_6465_7261  # "federa"


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(db: Database, migrations_dir: Path, revision: str = "heads") -> None:
    """Apply the service's migrations under an advisory lock.

    "heads", not "head": two features developed side by side may each branch a migration
    from the same parent; both apply, in either order, without a merge revision.
    """
    await _under_lock(db, migrations_dir, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(db: Database, migrations_dir: Path, revision: str) -> None:
    await _under_lock(db, migrations_dir, lambda cfg: command.downgrade(cfg, revision))


async def _under_lock(db: Database, migrations_dir: Path, step: Callable[[Config], None]) -> None:
    cfg = alembic_config(migrations_dir, db.url)

    def _run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        step(cfg)

    async with db.engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        await conn.run_sync(_run)


def run_env(metadata: MetaData) -> None:
    """Body of each service's migrations/env.py."""
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata)
        return
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def _online() -> None:
        engine = create_async_engine(str(config.get_main_option("sqlalchemy.url")))
        async with engine.begin() as conn:
            await conn.run_sync(_migrate, metadata)
        await engine.dispose()

    asyncio.run(_online())


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
