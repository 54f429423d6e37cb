"""Composition root of the payments service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.payments.bus.handlers import SUBSCRIPTIONS
from federa.payments.storage.tables import metadata
from federa.shared.service import ServiceDefinition, serve

DEFINITION = ServiceDefinition(
    name="payments",
    description=(
        "The receivable ledger, payment files, matching and application, reminders and mandates."
    ),
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
