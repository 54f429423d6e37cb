"""One trace from the HTTP request on members, through outbox and broker, into statistics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from federa.members.main import DEFINITION as MEMBERS
from federa.shared.testing.harness import eventually
from federa.shared.testing.plugin import SettingsFactory
from federa.statistics.main import DEFINITION as STATISTICS
from tests.conftest import Platform, start_platform


@pytest.fixture
async def traced(
    fresh_namespace: SettingsFactory,
) -> AsyncIterator[tuple[Platform, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    async with AsyncExitStack() as stack:
        platform = await start_platform(
            stack,
            fresh_namespace,
            (MEMBERS, STATISTICS),
            span_processor=SimpleSpanProcessor(exporter),
        )
        yield platform, exporter


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes.get("service.name"))


async def test_one_trace_spans_the_request_on_members_and_the_consumer_in_statistics(
    traced: tuple[Platform, InMemorySpanExporter], tenant: str
) -> None:
    platform, exporter = traced
    members = platform["members"]
    response = await members.client.post(
        "/v1/members", json={"name": "Finn Mo"}, headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 201

    def consumer_spans() -> list[ReadableSpan]:
        return [
            s
            for s in exporter.get_finished_spans()
            if _service(s) == "statistics" and s.kind == SpanKind.CONSUMER
        ]

    [consumed] = await eventually(consumer_spans)
    [request] = [
        s
        for s in exporter.get_finished_spans()
        if _service(s) == "members"
        and s.kind == SpanKind.SERVER
        and s.name.startswith("POST /v1/members")
    ]
    assert consumed.context is not None
    assert request.context is not None
    assert consumed.context.trace_id == request.context.trace_id

    producers = [
        s
        for s in exporter.get_finished_spans()
        if _service(s) == "members" and s.kind == SpanKind.PRODUCER
    ]
    assert producers, "the relay's publish is traced"
    # One span per relay pass, linked to the context of every message it published.
    linked = {link.context.trace_id for p in producers for link in p.links}
    assert request.context.trace_id in linked
