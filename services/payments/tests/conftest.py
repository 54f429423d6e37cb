from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from faststream.rabbit import RabbitBroker
from sqlalchemy import func, select, text

from federa.payments.main import DEFINITION
from federa.payments.storage.tables import inbox
from federa.shared.auth import Role, mint_dev_token
from federa.shared.contracts.billing import (
    DOCUMENT_ISSUED,
    PAYER_ACCOUNT_CREATED,
    DocumentIssuedV1,
    DocumentLineV1,
    PayerAccountStateV1,
)
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.messaging.topology import events_exchange
from federa.shared.payment_reference import ReferenceSeries, payment_reference
from federa.shared.testing.harness import RunningService, eventually, running_service
from federa.shared.testing.plugin import SettingsFactory

_NUMBERS = itertools.count(1000)


@pytest.fixture(scope="session")
async def payments(settings_for: SettingsFactory) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, settings_for("payments")) as service:
        yield service


@dataclass(frozen=True)
class Doc:
    document_id: uuid.UUID
    document_no: str
    reference: str
    payer: uuid.UUID
    amount: int


@dataclass
class Payments:
    """One tenant's view of the running payments service, with billing's side played by
    events published on the bus."""

    service: RunningService
    tenant: str
    payer_numbers: dict[uuid.UUID, int] = field(default_factory=dict)

    def headers(self, *roles: Role, orgs: tuple[str, ...] = ("*",)) -> dict[str, str]:
        token = mint_dev_token(
            self.service.settings,
            roles=roles or (Role.BOOKKEEPER,),
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
        content: bytes | None = None,
    ) -> Any:
        response = await self.service.client.request(
            method,
            path,
            json=body if content is None else None,
            content=content,
            headers=headers or self.headers(),
            params=params,
        )
        assert response.status_code == expect, response.text
        if response.headers.get("content-type", "").startswith("application/xml"):
            return response.content
        return response.json() if response.content else None

    async def publish(self, events: Iterable[CloudEvent]) -> None:
        """Through RabbitMQ, as billing's relay would; returns once every one is consumed."""
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
        ids = [e.id for e in sent]

        async def consumed() -> bool:
            async with runtime.db.sessions() as session:
                count = (
                    await session.execute(select(func.count()).where(inbox.c.event_id.in_(ids)))
                ).scalar_one()
            return bool(count == len(ids))

        await eventually(consumed, timeout=30)

    async def handle(self, event: CloudEvent) -> str:
        return await self.service.runtime.consumer.handle(event.to_json())

    def payer_event(self, member_id: uuid.UUID | None = None) -> tuple[uuid.UUID, CloudEvent]:
        payer = uuid.uuid4()
        number = next(_NUMBERS)
        self.payer_numbers[payer] = number
        data = PayerAccountStateV1(
            payer_account_id=payer, number=number, owner_member_id=member_id, name="Anna Berg"
        )
        return payer, new_event(
            PAYER_ACCOUNT_CREATED, data, subject=str(payer), tenant=self.tenant, aggregate_version=1
        )

    def document_event(
        self,
        payer: uuid.UUID,
        amount: int,
        *,
        kind: str = "invoice",
        due: date = date(2026, 2, 1),
        member_id: uuid.UUID | None = None,
        posting_type: str = "DUES",
        organisation_id: uuid.UUID | None = None,
        currency: str = "DKK",
    ) -> tuple[Doc, CloudEvent]:
        number = next(_NUMBERS)
        series = ReferenceSeries.ORDER if kind == "order" else ReferenceSeries.INVOICE
        reference = payment_reference(series, number)
        document_id = uuid.uuid4()
        data = DocumentIssuedV1(
            document_id=document_id,
            kind=kind,
            document_no=str(number),
            payer_account_id=payer,
            payer_number=self.payer_numbers.get(payer),
            member_id=member_id,
            organisation_id=organisation_id,
            posting_date=date(2026, 1, 1),
            due_date=due,
            currency=currency,
            total_amount=amount,
            payment_reference=reference,
            lines=[
                DocumentLineV1(
                    line_no=1,
                    member_id=member_id,
                    description="Membership",
                    unit_price=amount,
                    amount=amount,
                    posting_type=posting_type,
                )
            ],
        )
        event = new_event(
            DOCUMENT_ISSUED, data, subject=str(document_id), tenant=self.tenant, aggregate_version=1
        )
        return Doc(document_id, str(number), reference, payer, amount), event

    async def member(self, number: int) -> uuid.UUID:
        """Members registers a member: payments keeps its copy."""
        member_id = uuid.uuid4()
        data = MemberRegisteredV1(
            member_id=member_id,
            member_number=number,
            name="Anna Berg",
            status="active",
            enrolment_date=date(2024, 1, 1),
            registered_at=datetime.now(UTC),
            registered_by="test",
        )
        await self.publish(
            [
                new_event(
                    MEMBER_REGISTERED,
                    data,
                    subject=str(member_id),
                    tenant=self.tenant,
                    aggregate_version=1,
                )
            ]
        )
        return member_id

    async def payer(self, member_id: uuid.UUID | None = None) -> uuid.UUID:
        payer, event = self.payer_event(member_id)
        await self.publish([event])
        return payer

    async def invoices(self, payer: uuid.UUID, *amounts: int, **kw: Any) -> list[Doc]:
        """Billing issues one invoice per amount, oldest first (due a month apart)."""
        docs, events = [], []
        for n, amount in enumerate(amounts):
            doc, event = self.document_event(payer, amount, due=date(2026, 1 + n, 1), **kw)
            docs.append(doc)
            events.append(event)
        await self.publish(events)
        return docs

    async def item(self, doc: Doc) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/v1/open-items/{doc.document_id}")
        return result

    async def remaining(self, *docs: Doc) -> list[int]:
        return [(await self.item(d))["remaining"] for d in docs]

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        async with self.service.runtime.db.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT payload FROM outbox WHERE payload->>'tenant' = :t "
                    "AND event_type = :e ORDER BY id"
                ),
                {"t": self.tenant, "e": event_type},
            )
            return [r.payload for r in rows]

    async def versions(self, subject: object) -> list[int]:
        """The aggregate versions of the events about `subject`, in the order written."""
        async with self.service.runtime.db.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT (payload->>'aggregateversion')::int AS v FROM outbox "
                    "WHERE payload->>'tenant' = :t AND payload->>'subject' = :s ORDER BY id"
                ),
                {"t": self.tenant, "s": str(subject)},
            )
            return [r.v for r in rows]

    async def import_file(self, raw: bytes, fmt: str = "camt054", **headers: str) -> dict[str, Any]:
        """Import and wait until it is done."""
        response = await self.service.client.post(
            "/v1/payment-files",
            content=raw,
            params={"format": fmt},
            headers={**self.headers(), "content-type": "application/xml", **headers},
        )
        assert response.status_code in (200, 202), response.text
        file_id = response.json()["payment_file_id"]

        async def finished() -> dict[str, Any] | None:
            row: dict[str, Any] = await self.call("GET", f"/v1/payment-files/{file_id}")
            return row if row["status"] in ("done", "failed") else None

        done: dict[str, Any] = await eventually(finished, timeout=60)
        assert done["status"] == "done", done
        return done

    async def setup(self, **changes: Any) -> None:
        current = await self.call("GET", "/v1/application-setup")
        await self.call("PUT", "/v1/application-setup", current | changes)

    async def reconciliation(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", "/v1/reconciliation")
        return result


@pytest.fixture
def api(payments: RunningService, tenant: str) -> Payments:
    return Payments(payments, tenant)
