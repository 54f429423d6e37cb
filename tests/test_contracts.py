"""The bus contract: generated files are current, and real messages honour them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import jsonschema
import pytest
from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_rabbitmq
from cloudevents.core.formats.json import JSONFormat

from federa.shared.contracts import REGISTRY
from federa.shared.contracts.artifacts import render, stale_files
from federa.shared.contracts.members import MEMBER_REGISTERED
from federa.shared.envelope import CONTENT_TYPE
from tests.conftest import Platform

CONTRACTS = Path(__file__).resolve().parents[1] / "docs" / "contracts"


def test_checked_in_contract_files_are_current() -> None:
    assert stale_files(render(), CONTRACTS) == [], "run `make contracts` and commit the result"


def test_every_event_schema_is_valid_json_schema() -> None:
    for spec in REGISTRY.all():
        schema = json.loads((CONTRACTS / "schemas" / f"{spec.type}.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_asyncapi_document_names_publisher_and_consumers() -> None:
    document = json.loads((CONTRACTS / "asyncapi.json").read_text())
    operations = document["operations"]
    assert f"members.sends.{MEMBER_REGISTERED.type}" in operations
    for consumer in ("billing", "payments", "communications", "statistics"):
        assert f"{consumer}.receives.{MEMBER_REGISTERED.type}" in operations


@pytest.fixture
async def tap(platform: Platform) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    """A private queue on the events exchange, as a partner system would bind one."""
    async with await aio_pika.connect(platform["members"].settings.amqp_url) as connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(platform["members"].runtime.names.events)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, MEMBER_REGISTERED.routing_key)
        yield queue


async def test_a_partner_decodes_the_event_with_the_official_cloudevents_sdk(
    platform: Platform, tap: aio_pika.abc.AbstractQueue, tenant: str
) -> None:
    members = platform["members"]
    response = await members.client.post(
        "/v1/members",
        json={"name": "Eva Dahl", "birth_date": "1990-04-01"},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201
    member = response.json()

    message = await anext(_messages_for(tap, member["id"]))
    assert message.content_type == CONTENT_TYPE
    event = from_rabbitmq(
        RabbitMQMessage(headers={}, content_type=message.content_type, body=message.body),
        JSONFormat(),
    )
    assert event.get_id() == message.message_id
    assert event.get_type() == MEMBER_REGISTERED.type == message.type
    assert event.get_source() == "/federa/members"
    assert event.get_subject() == member["id"]
    assert event.get_extension("tenant") == tenant
    assert event.get_extension("aggregateversion") == 1
    data = event.get_data()
    assert isinstance(data, dict)
    assert data["member_number"] == member["member_number"]
    assert data["name"] == "Eva Dahl"
    assert data["birth_date"] == "1990-04-01"

    schema = json.loads((CONTRACTS / "schemas" / f"{MEMBER_REGISTERED.type}.json").read_text())
    jsonschema.validate(json.loads(message.body), schema)


async def _messages_for(
    queue: aio_pika.abc.AbstractQueue, subject: str
) -> AsyncIterator[aio_pika.abc.AbstractIncomingMessage]:
    async with queue.iterator(timeout=10) as messages:
        async for message in messages:
            await message.ack()
            if json.loads(message.body).get("subject") == subject:
                yield message
