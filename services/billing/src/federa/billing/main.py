"""Composition root of the billing service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.billing.bus.handlers import SUBSCRIPTIONS
from federa.billing.http.billing_runs import router as billing_runs_router
from federa.billing.http.credits import router as credits_router
from federa.billing.http.deferrals import router as deferrals_router
from federa.billing.http.document_pdf import router as document_pdf_router
from federa.billing.http.documents import router as documents_router
from federa.billing.http.dues import router as dues_router
from federa.billing.http.e_invoice import router as e_invoice_router
from federa.billing.http.grants import router as grants_router
from federa.billing.http.invoicing_on_start import router as invoicing_on_start_router
from federa.billing.http.jobs import router as jobs_router
from federa.billing.http.orders import router as orders_router
from federa.billing.http.payer_accounts import router as payer_accounts_router
from federa.billing.http.price_codes import router as price_codes_router
from federa.billing.http.products import router as products_router
from federa.billing.http.recruitment_gifts import router as recruitment_gifts_router
from federa.billing.http.settlements import router as settlements_router
from federa.billing.http.setup import router as setup_router
from federa.billing.http.subscriptions import router as subscriptions_router
from federa.billing.http.welcome_letters import router as welcome_letters_router
from federa.billing.storage import (  # noqa: F401  (add their tables to metadata)
    deferral_tables,
    documents_tables,
    e_invoice_tables,
    grant_tables,
    recruitment_tables,
    settlement_tables,
    welcome_tables,
)
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
        jobs_router,
        billing_runs_router,
        # Before `documents_router`: its `/documents/{id}` would take `{id}.pdf`.
        document_pdf_router,
        documents_router,
        credits_router,
        settlements_router,
        grants_router,
        orders_router,
        invoicing_on_start_router,
        dues_router,
        welcome_letters_router,
        deferrals_router,
        e_invoice_router,
        recruitment_gifts_router,
    ],
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
