"""The platform in one test process: five services, each with its own app, database and
queue, on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from federa.billing.main import DEFINITION as BILLING
from federa.communications.main import DEFINITION as COMMUNICATIONS
from federa.members.main import DEFINITION as MEMBERS
from federa.payments.main import DEFINITION as PAYMENTS
from federa.shared.service import ServiceDefinition
from federa.shared.testing.harness import RunningService, running_service
from federa.shared.testing.plugin import SettingsFactory
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
    **overrides: object,
) -> Platform:
    services = {}
    for definition in definitions:
        settings = settings_for(definition.name, **overrides.get(definition.name, {}))  # type: ignore[arg-type]
        services[definition.name] = await stack.enter_async_context(
            running_service(definition, settings)
        )
    return Platform(services)


@pytest.fixture(scope="session")
async def platform(settings_for: SettingsFactory) -> AsyncIterator[Platform]:
    async with AsyncExitStack() as stack:
        yield await start_platform(stack, settings_for)
