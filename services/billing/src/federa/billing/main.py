"""Composition root of the billing service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.billing.bus.handlers import SUBSCRIPTIONS
from federa.billing.http.payer_accounts import router as payer_accounts_router
from federa.billing.http.price_codes import router as price_codes_router
from federa.billing.http.products import router as products_router
from federa.billing.http.setup import router as setup_router
from federa.billing.http.subscriptions import router as subscriptions_router
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
    routers=[
        products_router,
        price_codes_router,
        setup_router,
        subscriptions_router,
        payer_accounts_router,
    ],
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
