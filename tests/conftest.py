"""The platform in one test process: five services, each with its own app, database and
queue, on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import SpanProcessor

from federa.billing.main import DEFINITION as BILLING
from federa.communications.main import DEFINITION as COMMUNICATIONS
from federa.members.main import DEFINITION as MEMBERS
from federa.payments.main import DEFINITION as PAYMENTS
from federa.shared.service import ServiceDefinition
from federa.shared.testing.harness import RunningService, running_service
from federa.shared.testing.plugin import Namespaces, SettingsFactory
from federa.statistics.main import DEFINITION as STATISTICS

ALL: tuple[ServiceDefinition, ...] = (MEMBERS, BILLING, PAYMENTS, COMMUNICATIONS, STATISTICS)


@dataclass
class Platform:
    services: dict[str, RunningService]

    def __getitem__(self, name: str) -> RunningService:
        return self.services[name]


async def start_platform(
    stack: AsyncExitStack,
    settings_for: SettingsFactory,
    definitions: tuple[ServiceDefinition, ...] = ALL,
    *,
    span_processor: SpanProcessor | None = None,
    **overrides: dict[str, object],
) -> Platform:
    services = {}
    for definition in definitions:
        settings = settings_for(definition.name, **overrides.get(definition.name, {}))
        services[definition.name] = await stack.enter_async_context(
            running_service(definition, settings, span_processor=span_processor)
        )
    return Platform(services)


@pytest.fixture(scope="session")
async def platform(namespaces: Namespaces) -> AsyncIterator[Platform]:
    # A namespace apart from the per-service tests', so no two instances of one service
    # ever compete for the same queue.
    async with AsyncExitStack() as stack:
        yield await start_platform(stack, namespaces.settings(namespaces.new()))
