"""A subscription's own claim replaces the inbox claim, and decides applied or duplicate."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.members import ORGANISATION_CREATED, OrganisationStateV1
from federa.shared.db import Database
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.messaging import consumer as consuming
from federa.shared.messaging.consumer import Consumer, on


class FakeDatabase:
    """Only the transaction boundary, with a session nothing is sent through."""

    def __init__(self) -> None:
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        self.transactions += 1
        yield cast(AsyncSession, object())


def organisation_created() -> CloudEvent:
    data = OrganisationStateV1(
        organisation_id=uuid.uuid4(), organisation_number=1, name="A", organisation_type="branch"
    )
    return new_event(
        ORGANISATION_CREATED,
        data,
        subject=str(data.organisation_id),
        tenant="t",
        aggregate_version=1,
    )


async def test_a_subscriptions_own_claim_decides_whether_the_handler_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: set[str] = set()
    handled: list[str] = []

    async def claim(session: AsyncSession, service: str, event: CloudEvent) -> bool:
        assert service == "stats"
        new = event.id not in seen
        seen.add(event.id)
        return new

    async def handler(session: AsyncSession, event: CloudEvent, data: Any) -> None:
        handled.append(event.id)

    async def inbox_claim(*args: object) -> bool:
        raise AssertionError("the default claim must not run beside the subscription's own")

    monkeypatch.setattr(consuming, "claim_in_tx", inbox_claim)
    db = FakeDatabase()
    consumer = Consumer(
        "stats", cast(Database, db), [on(ORGANISATION_CREATED, handler, claim=claim)]
    )
    event = organisation_created()
    assert await consumer.handle(event.to_json()) == "applied"
    assert await consumer.handle(event.to_json()) == "duplicate"
    assert handled == [event.id]
    assert db.transactions == 2


async def test_without_its_own_claim_a_subscription_claims_in_the_inbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claimed: list[str] = []

    async def inbox_claim(session: AsyncSession, service: str, event: CloudEvent) -> bool:
        claimed.append(event.id)
        return True

    async def handler(session: AsyncSession, event: CloudEvent, data: Any) -> None:
        return None

    monkeypatch.setattr(consuming, "claim_in_tx", inbox_claim)
    consumer = Consumer(
        "stats", cast(Database, FakeDatabase()), [on(ORGANISATION_CREATED, handler)]
    )
    event = organisation_created()
    assert await consumer.handle(event.to_json()) == "applied"
    assert claimed == [event.id]
