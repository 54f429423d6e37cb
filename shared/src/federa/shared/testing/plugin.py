"""pytest plugin: real PostgreSQL and RabbitMQ, a namespace of its own for every run.

Each run (and each test that asks for `fresh_namespace`) gets databases `<ns>_<service>` and
exchanges and queues `<ns>.*`, all removed at the end, so runs on one machine never meet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import asyncpg
import pytest

from federa.shared.messaging.topology import BusNames, delete_namespace
from federa.shared.settings import SERVICE_PORTS, Settings, asyncpg_url, plain_pg_url
from federa.shared.testing.infrastructure import Infrastructure, real_infrastructure

SettingsFactory = Callable[..., Settings]


def pytest_configure(config: pytest.Config) -> None:
    """Property tests judge what is generated, not how fast: on a loaded machine (CI's two
    cores, a benchmark beside the suite) a slow example is not a wrong one."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # a service installed without the dev tools
        return
    settings.register_profile("federa", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("federa")


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    try:
        with real_infrastructure() as infra:
            yield infra
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


async def _drop_namespace(infra: Infrastructure, namespace: str) -> None:
    conn = await asyncpg.connect(plain_pg_url(asyncpg_url(infra.pg_url)) + "/postgres")
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{namespace}\\_%"
        )
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
    services = [*SERVICE_PORTS, "probe"]
    await delete_namespace(infra.amqp_url, BusNames(namespace), services)


class Namespaces:
    def __init__(self, infra: Infrastructure) -> None:
        self._infra = infra
        self.created: list[str] = []

    def new(self) -> str:
        namespace = f"t{uuid.uuid4().hex[:10]}"
        self.created.append(namespace)
        return namespace

    def settings(self, namespace: str) -> SettingsFactory:
        def make(service: str, **overrides: object) -> Settings:
            values: dict[str, object] = {
                "service": service,
                "namespace": namespace,
                "pg_url": self._infra.pg_url,
                "amqp_url": self._infra.amqp_url,
                "log_json": False,
                "relay_poll_seconds": 0.5,
                "delivery_limit": 3,
                "retry_base_seconds": 0.1,
                # A run holds dozens of services and workers open against one server with
                # max_connections 100.
                "db_pool_size": 2,
            }
            return Settings.model_validate(values | overrides)

        return make


@pytest.fixture(scope="session")
def namespaces(infrastructure: Infrastructure) -> Iterator[Namespaces]:
    spaces = Namespaces(infrastructure)
    yield spaces
    for namespace in spaces.created:
        asyncio.run(_drop_namespace(infrastructure, namespace))


@pytest.fixture(scope="session")
def namespace(namespaces: Namespaces) -> str:
    return namespaces.new()


@pytest.fixture(scope="session")
def settings_for(namespaces: Namespaces, namespace: str) -> SettingsFactory:
    """`settings_for("billing")`: settings of a service in this run's namespace."""
    return namespaces.settings(namespace)


@pytest.fixture
def fresh_namespace(namespaces: Namespaces) -> SettingsFactory:
    """Settings in a namespace of this test's own: empty databases, queues, dead letters."""
    return namespaces.settings(namespaces.new())


@pytest.fixture
def tenant() -> str:
    """A tenant of this test's own, so figures of other tests never mix in."""
    return f"tenant-{uuid.uuid4().hex[:8]}"
