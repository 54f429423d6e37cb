"""The composition root every service shares: one process with FastAPI, its FastStream
consumer, its outbox relay, its migrations and its bus topology.

A service module only describes itself (`ServiceDefinition`); `create_app` wires it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import MetaData

from federa.shared.auth import TokenVerifier
from federa.shared.db import Database, ensure_database
from federa.shared.gc_tuning import tune_for_throughput
from federa.shared.http.observability import health_router, install_metrics
from federa.shared.http.problems import install_problem_handlers
from federa.shared.messaging.consumer import Consumer, ConsumerMetrics, Subscription, subscribe
from federa.shared.messaging.relay import OutboxRelay
from federa.shared.messaging.topology import BusNames, declare_service, service_queue
from federa.shared.migrations import upgrade
from federa.shared.settings import Settings, plain_pg_url
from federa.shared.telemetry import instrument_database, tracer_provider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    description: str
    metadata: MetaData
    migrations_dir: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription[Any]] = ()
    version: str = "0.1.0"
    tags: Sequence[dict[str, str]] = field(default_factory=tuple)


@dataclass
class Runtime:
    """What a running service holds; routes reach it through `RuntimeDep`."""

    settings: Settings
    definition: ServiceDefinition
    db: Database
    broker: RabbitBroker
    names: BusNames
    relay: OutboxRelay
    consumer: Consumer
    registry: CollectorRegistry


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def build_broker(settings: Settings, registry: CollectorRegistry, tracing: Any) -> RabbitBroker:
    return RabbitBroker(
        settings.amqp_url,
        # Unlimited prefetch is the library default; a bounded one keeps memory bounded.
        default_channel=Channel(prefetch_count=settings.consumer_prefetch, on_return_raises=True),
        graceful_timeout=15.0,
        app_id=settings.service,
        middlewares=[
            RabbitTelemetryMiddleware(tracer_provider=tracing),
            RabbitPrometheusMiddleware(registry=registry),
        ],
        logger=logging.getLogger(f"federa.{settings.service}.bus"),
    )


def build_relay_broker(settings: Settings) -> RabbitBroker:
    """The outbox relay's own connection and channel (publisher confirms, returns raised),
    without FastStream's middlewares: the relay publishes on this channel through aio-pika and
    traces its publishes itself (see `OutboxRelay`); the middlewares doubled its CPU per event."""
    return RabbitBroker(
        settings.amqp_url,
        default_channel=Channel(on_return_raises=True),
        app_id=settings.service,
        logger=logging.getLogger(f"federa.{settings.service}.relay"),
    )


async def prepare_database(db: Database, settings: Settings, migrations_dir: Path) -> None:
    await ensure_database(settings)
    await upgrade(db, migrations_dir)


def build_relay(
    settings: Settings, db: Database, names: BusNames, tracing: TracerProvider
) -> tuple[OutboxRelay, RabbitBroker]:
    """The process's outbox relay on a broker of its own, woken by every commit that wrote
    events (services and billing workers alike)."""
    relay_broker = build_relay_broker(settings)
    relay = OutboxRelay(
        db.engine,
        relay_broker,
        names,
        listen_dsn=plain_pg_url(settings.database_url),
        batch_size=settings.relay_batch_size,
        poll_seconds=settings.relay_poll_seconds,
        tracer_provider=tracing,
    )
    db.after_commit(relay.wake)
    return relay, relay_broker


def create_app(
    definition: ServiceDefinition,
    settings: Settings | None = None,
    *,
    span_processor: SpanProcessor | None = None,
    own_process: bool = False,
) -> FastAPI:
    """The service's app. `own_process`: the app is the process's only one (`serve`), so
    start-up may tune the process's garbage collector (tests run many apps in one process)."""
    settings = settings or Settings(service=definition.name)
    if settings.service != definition.name:
        settings = settings.model_copy(update={"service": definition.name})
    registry = CollectorRegistry()
    tracing = tracer_provider(settings, extra_processor=span_processor)
    instrument_database(tracing, settings)
    names = BusNames(settings.namespace)
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    broker = build_broker(settings, registry, tracing)
    relay, relay_broker = build_relay(settings, db, names, tracing)
    consumer = Consumer(definition.name, db, definition.subscriptions, ConsumerMetrics(registry))
    subscribe(
        broker,
        service_queue(
            names, definition.name, delivery_limit=settings.delivery_limit, declare=False
        ),
        consumer,
        retry_base_seconds=settings.retry_base_seconds,
    )
    runtime = Runtime(settings, definition, db, broker, names, relay, consumer, registry)
    pending = Gauge(
        "federa_outbox_pending", "Events committed but not yet published", registry=registry
    )
    oldest = Gauge(
        "federa_outbox_oldest_pending_seconds",
        "Age of the oldest unpublished event",
        registry=registry,
    )

    async def watch_backlog() -> None:
        while True:
            try:
                stats = await relay.backlog()
                pending.set(stats.pending)
                oldest.set(stats.oldest_pending_age_seconds)
            except Exception as exc:
                log.warning("cannot read the outbox backlog: %s", exc)
            await asyncio.sleep(5)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await prepare_database(db, settings, definition.migrations_dir)
        await broker.connect()
        await declare_service(
            broker,
            names,
            definition.name,
            event_keys=consumer.routing_keys,
            delivery_limit=settings.delivery_limit,
        )
        await broker.start()
        await relay_broker.connect()
        if settings.relay_enabled:
            await relay.start()
        watcher = asyncio.create_task(watch_backlog(), name="outbox-backlog")
        if own_process:
            tune_for_throughput()
        log.info("%s ready on port %s", definition.name, settings.http_port)
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await relay.stop()
            await relay_broker.stop()
            await broker.stop()
            await db.dispose()
            tracing.shutdown()

    app = FastAPI(
        title=f"Federa {definition.name}",
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        openapi_tags=list(definition.tags) or None,
    )
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(settings)
    install_problem_handlers(app)

    async def broker_ping() -> None:
        if not await broker.ping(timeout=2):
            raise ConnectionError("RabbitMQ does not answer")

    app.include_router(health_router({"database": db.ping, "broker": broker_ping}))
    for router in definition.routers:
        app.include_router(router)
    install_metrics(app, registry)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=tracing, excluded_urls="healthz,readyz,metrics"
    )
    return app


async def migrate(definition: ServiceDefinition, settings: Settings) -> None:
    """Create the database and apply migrations, then exit (production init jobs)."""
    db = Database(settings.database_url, pool_size=1)
    try:
        await prepare_database(db, settings, definition.migrations_dir)
    finally:
        await db.dispose()


def serve(definition: ServiceDefinition, argv: Sequence[str]) -> None:
    """Entry point of `federa-<service>`: serve, or `migrate` and exit."""
    import uvicorn

    from federa.shared.telemetry import configure_logging

    settings = Settings(service=definition.name)
    configure_logging(settings)
    if list(argv[:1]) == ["migrate"]:
        asyncio.run(migrate(definition, settings))
        return
    uvicorn.run(
        create_app(definition, settings, own_process=True),
        host=settings.host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
