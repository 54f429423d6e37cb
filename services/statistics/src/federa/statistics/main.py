"""Composition root of the statistics service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.shared.service import ServiceDefinition, serve
from federa.statistics.bus.handlers import SUBSCRIPTIONS
from federa.statistics.http.overview import router as overview_router
from federa.statistics.storage.tables import metadata

DEFINITION = ServiceDefinition(
    name="statistics",
    description="Read models of every event: statistics, finance dashboard, daily overview.",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[overview_router],
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
