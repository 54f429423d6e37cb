"""Each service's migrations build exactly the tables its code declares, and step down cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from federa.shared.db import Database, ensure_database
from federa.shared.migrations import downgrade, upgrade
from federa.shared.service import ServiceDefinition
from federa.shared.testing.plugin import SettingsFactory
from tests.conftest import ALL


@pytest.mark.parametrize("definition", ALL, ids=lambda d: d.name)
async def test_migrations_match_the_declared_tables_and_downgrade_to_nothing(
    definition: ServiceDefinition, fresh_namespace: SettingsFactory
) -> None:
    settings = fresh_namespace(definition.name)
    await ensure_database(settings)
    db = Database(settings.database_url, pool_size=1)
    try:
        await upgrade(db, definition.migrations_dir)

        def differences(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, definition.metadata))

        async with db.engine.connect() as conn:
            assert await conn.run_sync(differences) == []

        await downgrade(db, definition.migrations_dir, "base")  # the stairway down

        def tables(connection: Connection) -> set[str]:
            return set(inspect(connection).get_table_names()) - {"alembic_version"}

        async with db.engine.connect() as conn:
            assert await conn.run_sync(tables) == set()
        await upgrade(db, definition.migrations_dir)  # and up again
    finally:
        await db.dispose()
