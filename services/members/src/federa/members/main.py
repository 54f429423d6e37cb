"""Composition root of the members service."""

from __future__ import annotations

import sys
from pathlib import Path

from federa.members.bus.handlers import SUBSCRIPTIONS
from federa.members.http.addresses import jobs_router
from federa.members.http.addresses import router as addresses_router
from federa.members.http.gdpr import router as gdpr_router
from federa.members.http.households import router as households_router
from federa.members.http.imports import router as imports_router
from federa.members.http.links import router as links_router
from federa.members.http.members import router as members_router
from federa.members.http.organisations import router as organisations_router
from federa.members.http.reference import router as reference_router
from federa.members.http.search import router as search_router
from federa.members.http.settings import router as settings_router
from federa.members.storage.tables import metadata
from federa.shared.service import ServiceDefinition, serve

DEFINITION = ServiceDefinition(
    name="members",
    description="The register of members, households, organisations, affiliations and offices.",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[
        search_router,  # before members_router: /v1/members/{member_id} takes any path
        members_router,
        links_router,
        organisations_router,
        reference_router,
        settings_router,
        households_router,
        addresses_router,
        gdpr_router,
        jobs_router,
        imports_router,
    ],
    subscriptions=SUBSCRIPTIONS,
)


def run() -> None:
    serve(DEFINITION, sys.argv[1:])
