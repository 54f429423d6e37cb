"""Composition root of the payments service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.payments.bus.handlers import SUBSCRIPTIONS
from federa.payments.http.batches import router as batches_router
from federa.payments.http.exceptions import router as exceptions_router
from federa.payments.http.ledger import router as ledger_router
from federa.payments.http.payment_files import router as payment_files_router
from federa.payments.http.payments import router as payments_router
from federa.payments.http.refunds import router as refunds_router
from federa.payments.storage.tables import metadata
from federa.shared.service import ServiceDefinition, serve

DEFINITION = ServiceDefinition(
    name="payments",
    description=(
        "The receivable ledger, payment files, matching and application, exceptions, refunds."
    ),
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[
        ledger_router,
        payment_files_router,
        payments_router,
        batches_router,
        exceptions_router,
        refunds_router,
    ],
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
