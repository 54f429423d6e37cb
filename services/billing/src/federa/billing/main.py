"""Composition root of the billing service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.billing.bus.handlers import SUBSCRIPTIONS
from federa.billing.storage.tables import metadata
from federa.shared.service import ServiceDefinition, serve

DEFINITION = ServiceDefinition(
    name="billing",
    description=(
        "Catalogue, prices, subscriptions, billing runs, invoices, "
        "credit memos and branch settlements."
    ),
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
