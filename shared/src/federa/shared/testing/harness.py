"""Running a service in the test process against the real database and broker."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor

from federa.shared.auth import ALL_ORGANISATIONS, Role, mint_dev_token
from federa.shared.service import Runtime, ServiceDefinition, create_app
from federa.shared.settings import Settings


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def token(
        self, *roles: Role, tenant: str = "demo", orgs: tuple[str, ...] = (ALL_ORGANISATIONS,)
    ) -> str:
        return mint_dev_token(
            self.settings, roles=roles or (Role.SUPERUSER,), tenant=tenant, organisations=orgs
        )

    def auth(self, *roles: Role, tenant: str = "demo") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, tenant=tenant)}"}


@contextlib.asynccontextmanager
async def running_service(
    definition: ServiceDefinition,
    settings: Settings,
    *,
    span_processor: SpanProcessor | None = None,
) -> AsyncIterator[RunningService]:
    app = create_app(definition, settings, span_processor=span_processor)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield RunningService(app, client, settings)


async def eventually(
    probe: Callable[[], Awaitable[Any] | Any], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Call (and await) `probe` until it returns something truthy; fail with its last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not true within {timeout}s; last answer: {last!r}")
