from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from federa.billing.main import DEFINITION
from federa.shared.auth import Role, mint_dev_token
from federa.shared.contracts.members import (
    MEMBER_REGISTERED,
    ORGANISATION_CREATED,
    ORGANISATION_MOVED,
    MemberRegisteredV1,
    OrganisationMovedV1,
    OrganisationStateV1,
)
from federa.shared.envelope import new_event
from federa.shared.testing.harness import RunningService, running_service
from federa.shared.testing.plugin import SettingsFactory


@pytest.fixture(scope="session")
async def billing(settings_for: SettingsFactory) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, settings_for("billing")) as service:
        yield service


@dataclass
class Billing:
    """One tenant's view of the billing service, with the calls the tests share."""

    service: RunningService
    tenant: str

    def headers(self, *roles: Role, orgs: tuple[str, ...] = ("*",)) -> dict[str, str]:
        token = mint_dev_token(
            self.service.settings,
            roles=roles or (Role.SUPERUSER,),
            tenant=self.tenant,
            organisations=orgs,
        )
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: int = 200,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        response = await self.service.client.request(
            method, path, json=body, headers=headers or self.headers(), params=params
        )
        assert response.status_code == expect, response.text
        return response.json() if response.content else None

    async def member_joins(
        self,
        name: str = "Anna Berg",
        *,
        organisation_ids: tuple[uuid.UUID, ...] = (),
        **fields: Any,
    ) -> uuid.UUID:
        """Billing hears `member.registered`, as from the members service."""
        member_id = uuid.uuid4()
        data = MemberRegisteredV1(
            member_id=member_id,
            member_number=int(fields.pop("member_number", 1)),
            name=name,
            status="active",
            enrolment_date=date(2024, 1, 1),
            organisation_id=organisation_ids[0] if organisation_ids else None,
            organisation_ids=list(organisation_ids),
            registered_at=datetime.now(UTC),
            registered_by="test",
            **fields,
        )
        event = new_event(
            MEMBER_REGISTERED, data, subject=str(member_id), tenant=self.tenant, aggregate_version=1
        )
        assert await self.service.runtime.consumer.handle(event.to_json()) == "applied"
        return member_id

    async def outbox(self, event_type: str, subject: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT payload FROM outbox WHERE payload->>'tenant' = :t AND event_type = :e"
        values: dict[str, Any] = {"t": self.tenant, "e": event_type}
        if subject is not None:
            query += " AND payload->>'subject' = :s"
            values["s"] = subject
        async with self.service.runtime.db.sessions() as session:
            rows = await session.execute(text(query + " ORDER BY id"), values)
            return [r.payload for r in rows]

    async def count(self, table: str, where: str = "TRUE", **values: Any) -> int:
        async with self.service.runtime.db.sessions() as session:
            result = await session.execute(
                text(f"SELECT count(*) FROM {table} WHERE {where}"), values
            )
            return int(result.scalar_one())


@pytest.fixture
def api(billing: RunningService, tenant: str) -> Billing:
    return Billing(billing, tenant)


async def create_membership(api: Billing, *, code: str = "MEDLEM") -> dict[str, Any]:
    """A membership product with price code ORD: first term the running year (`LÅ`) at half
    price, then yearly at 450.00 from 2024-01-01; product periods 2024-2027."""
    await api.call("POST", "/v1/products", {"code": code, "description": "Membership"}, expect=201)
    ordinary = await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": code,
            "code": "ORD",
            "description": "Ordinary",
            "first_term": "LÅ",
            "subsequent_term": {"years": 1},
            "first_period_discount_pct": "50",
        },
        expect=201,
    )
    await api.call(
        "POST",
        f"/v1/price-codes/{ordinary['id']}/prices",
        {"from_date": "2024-01-01", "amount": 45000},
        expect=201,
    )
    await api.call("PATCH", f"/v1/products/{code}", {"default_price_code": "ORD"}, expect=200)
    product: dict[str, Any] = await api.call(
        "POST",
        f"/v1/products/{code}/periods:generate",
        {"start": "2024-01-01", "count": 4, "length": {"years": 1}},
    )
    return {"product": product, "ordinary": ordinary}


class Tree:
    """federation → north → branch a; federation → south → branch c (as members publishes)."""

    def __init__(self, api: Billing) -> None:
        self.api = api
        self.ids = {name: uuid.uuid4() for name in ("federation", "north", "south", "a", "c")}
        self.parents = {"north": "federation", "south": "federation", "a": "north", "c": "south"}

    def ancestors(self, name: str) -> list[uuid.UUID]:
        chain: list[uuid.UUID] = []
        while name in self.parents:
            name = self.parents[name]
            chain.insert(0, self.ids[name])
        return chain

    async def publish(self, name: str, version: int = 1, *, moved: bool = False) -> None:
        fields = {
            "organisation_id": self.ids[name],
            "organisation_number": version,
            "name": name,
            "organisation_type": "branch",
            "parent_id": self.ids.get(self.parents.get(name, "")),
            "ancestor_ids": self.ancestors(name),
        }
        spec = ORGANISATION_MOVED if moved else ORGANISATION_CREATED
        data = OrganisationMovedV1(**fields) if moved else OrganisationStateV1(**fields)
        event = new_event(
            spec,
            data,
            subject=str(self.ids[name]),
            tenant=self.api.tenant,
            aggregate_version=version,
        )
        assert await self.api.service.runtime.consumer.handle(event.to_json()) == "applied"

    def affiliations(self, name: str) -> tuple[uuid.UUID, ...]:
        """A member of `name` is affiliated to it and every organisation above it."""
        return (self.ids[name], *self.ancestors(name))

    def officer(self, *names: str) -> dict[str, str]:
        return self.api.headers(Role.MEMBER_CARD, orgs=tuple(str(self.ids[n]) for n in names))


@pytest.fixture
async def tree(api: Billing) -> Tree:
    tree = Tree(api)
    for name in ("federation", "north", "south", "a", "c"):
        await tree.publish(name)
    await create_membership(api)
    return tree
