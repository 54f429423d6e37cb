"""Composition root of the communications service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.communications.bus.handlers import SUBSCRIPTIONS
from federa.communications.storage.tables import metadata
from federa.shared.service import ServiceDefinition, serve

DEFINITION = ServiceDefinition(
    name="communications",
    description=("Templates, target groups, mailings, the interaction log and partner webhooks."),
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
