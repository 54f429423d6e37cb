"""/healthz, /readyz and Prometheus /metrics for every service."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp

from federa.shared.http.problems import PROBLEM_JSON

Check = Callable[[], Awaitable[None]]


def health_router(checks: dict[str, Check]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database and broker answer")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failing: {type(exc).__name__}: {exc}"
        ready = all(v == "ok" for v in results.values())
        if ready:
            return JSONResponse({"status": "ready", "checks": results})
        return JSONResponse(
            {
                "type": "https://federa.dev/problems/not-ready",
                "title": "Not ready",
                "status": 503,
                "checks": results,
            },
            status_code=503,
            media_type=PROBLEM_JSON,
        )

    return router


class HttpMetrics(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        super().__init__(app)
        self._requests = Counter(
            "federa_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "federa_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=registry,
        )

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        route = _route_template(request)
        start = time.perf_counter()
        response = await call_next(request)
        if route != "/metrics":
            self._latency.labels(request.method, route).observe(time.perf_counter() - start)
            self._requests.labels(request.method, route, str(response.status_code)).inc()
        return response


def _route_template(request: Request) -> str:
    # The template, not the concrete path, keeps label cardinality bounded.
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return str(getattr(route, "path", request.url.path))
    return "unmatched"


def install_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    app.add_middleware(HttpMetrics, registry=registry)

    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
