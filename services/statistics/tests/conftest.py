from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from faststream.rabbit import RabbitBroker

from federa.shared.auth import Role, mint_dev_token
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.topology import events_exchange
from federa.shared.testing.harness import RunningService, eventually, running_service
from federa.shared.testing.plugin import SettingsFactory
from federa.statistics.fixtures import History
from federa.statistics.main import DEFINITION


@pytest.fixture(scope="session")
async def statistics(settings_for: SettingsFactory) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, settings_for("statistics")) as service:
        yield service


@dataclass
class Stats:
    """One tenant's view of the running statistics service."""

    service: RunningService
    tenant: str

    def headers(self, *orgs: str, role: Role = Role.READ) -> dict[str, str]:
        token = mint_dev_token(
            self.service.settings, roles=[role], tenant=self.tenant, organisations=orgs or ("*",)
        )
        return {"Authorization": f"Bearer {token}"}

    async def get(
        self, path: str, *, expect: int = 200, orgs: tuple[str, ...] = (), **params: Any
    ) -> Any:
        clean = {k.rstrip("_"): str(v) for k, v in params.items() if v is not None}
        response = await self.service.client.get(
            path, params=clean or None, headers=self.headers(*orgs)
        )
        assert response.status_code == expect, response.text
        return response.json()

    async def feed(self, events: Iterable[CloudEvent]) -> None:
        """Straight into the consumer, as the queue would hand them over."""
        for event in events:
            assert await self.service.runtime.consumer.handle(event.to_json()) in (
                "applied",
                "duplicate",
            )

    async def publish(self, events: Iterable[CloudEvent]) -> None:
        """Through RabbitMQ: the events exchange routes them to the service's queue."""
        runtime = self.service.runtime
        broker: RabbitBroker = runtime.broker
        exchange = events_exchange(runtime.names, declare=False)
        sent = list(events)
        for event in sent:
            await broker.publish(
                event.to_json(),
                exchange=exchange,
                routing_key=event.routing_key,
                message_id=event.id,
                content_type="application/cloudevents+json",
                persist=True,
            )
        ids = {e.id for e in sent}

        async def archived() -> bool:
            from sqlalchemy import func, select

            from federa.statistics.storage.tables import event_archive

            async with runtime.db.sessions() as session:
                count = (
                    await session.execute(
                        select(func.count()).where(
                            event_archive.c.tenant == self.tenant,
                            event_archive.c.event_id.in_(ids),
                        )
                    )
                ).scalar_one()
            return bool(count == len(ids))

        await eventually(archived, timeout=30)


@pytest.fixture
def stats(statistics: RunningService, tenant: str) -> Stats:
    return Stats(statistics, tenant)


def shuffled_with_duplicates(events: list[CloudEvent], seed: int) -> list[CloudEvent]:
    """Another arrival order: aggregates interleaved differently, each aggregate's own events
    in any order, and some delivered twice."""
    rng = random.Random(seed)
    out = list(events)
    rng.shuffle(out)
    out += rng.sample(events, k=max(1, len(events) // 5))
    rng.shuffle(out)
    return out


def new_history(tenant: str) -> History:
    return History(tenant)
