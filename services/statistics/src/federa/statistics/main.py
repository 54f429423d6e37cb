"""Composition root of the statistics service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.shared.service import ServiceDefinition, serve
from federa.statistics.bus.handlers import SUBSCRIPTIONS
from federa.statistics.http.distributions import router as distributions_router
from federa.statistics.http.events import router as events_router
from federa.statistics.http.finance import router as finance_router
from federa.statistics.http.members_stats import router as members_stats_router
from federa.statistics.http.overview import router as overview_router
from federa.statistics.http.subscription_stats import router as subscription_stats_router
from federa.statistics.storage.tables import metadata
from federa.statistics.web.pages import router as dashboard_router

DEFINITION = ServiceDefinition(
    name="statistics",
    description="Read models of every event: statistics, finance dashboard, daily overview.",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[
        overview_router,
        subscription_stats_router,
        finance_router,
        events_router,
        members_stats_router,
        distributions_router,
        dashboard_router,
    ],
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
