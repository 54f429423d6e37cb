"""Configuration from the environment, with defaults that work on a developer machine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_PORTS: dict[str, int] = {
    "members": 8001,
    "billing": 8002,
    "payments": 8003,
    "communications": 8004,
    "statistics": 8005,
}


class Settings(BaseSettings):
    """Settings every Federa process reads; a service subclasses it only to add its own."""

    model_config = SettingsConfigDict(env_prefix="FEDERA_", extra="ignore")

    service: str = "members"
    env: Literal["development", "production"] = "development"
    # The PostgreSQL *server*; each service keeps its own database on it.
    pg_url: str = "postgresql://postgres@127.0.0.1:5432"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # Prefix of every database, exchange and queue name. Tests give each run its own
    # namespace so runs on one broker and one server never see each other.
    namespace: str = "federa"
    host: str = "127.0.0.1"
    port: int | None = None

    migrate_on_start: bool = True
    # Connections a process keeps open (and as many more under a burst). The tests run many
    # services and workers against one server, so they keep it small.
    db_pool_size: int = Field(default=10, ge=1, le=100)
    relay_enabled: bool = True
    # A billing chunk writes 500 events at once; a pass of 500 publishes with their confirms in
    # flight together and costs a tenth less CPU per event than passes of 200 (bench/relay.py).
    relay_batch_size: int = Field(default=500, ge=1, le=5000)
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    consumer_prefetch: int = Field(default=32, ge=1)
    # How often RabbitMQ may redeliver a failing message before it is dead-lettered.
    delivery_limit: int = Field(default=5, ge=1)
    # A failed message is held base, 2*base, 4*base... seconds before it is redelivered.
    retry_base_seconds: float = Field(default=0.5, ge=0)

    otel_exporter: Literal["none", "console", "otlp"] = "none"
    log_level: str = "INFO"
    log_json: bool = True

    jwt_public_key: str | None = None
    jwks_url: str | None = None
    jwt_audience: str = "federa"
    jwt_issuer: str = "federa-dev"
    dev_jwt_secret: str = "federa-development-secret-not-for-production"

    @property
    def database_name(self) -> str:
        return f"{self.namespace}_{self.service}"

    @property
    def http_port(self) -> int:
        return self.port if self.port is not None else SERVICE_PORTS.get(self.service, 8000)

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of this service's own database."""
        return f"{asyncpg_url(self.pg_url)}/{self.database_name}"

    @property
    def server_url(self) -> str:
        """SQLAlchemy URL of the server's maintenance database, used to create ours."""
        return f"{asyncpg_url(self.pg_url)}/postgres"


def asyncpg_url(pg_url: str) -> str:
    """Turn a libpq-style server URL into SQLAlchemy's asyncpg form, without a database."""
    url = pg_url.rstrip("/")
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
            break
    # A database part, if someone gave one, is dropped: the service chooses its own.
    host_part = url.split("/", 1)[0]
    return f"postgresql+asyncpg://{host_part}"


def plain_pg_url(sqlalchemy_url: str) -> str:
    """The same URL in the form asyncpg.connect() takes."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)
