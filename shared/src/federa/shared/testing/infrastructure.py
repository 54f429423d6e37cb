"""Finding a real PostgreSQL and RabbitMQ for tests: the environment, else containers.

Never a skip: without a database and a broker the run fails and says how to fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from federa.shared.probes import both_answer, docker_engine_answers
from federa.shared.settings import Settings

HOW_TO_START = (
    "start them (PostgreSQL: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start`; RabbitMQ: `rabbitmq-server -detached`), or point FEDERA_PG_URL and "
    "FEDERA_AMQP_URL at running ones, or run on a host with a Docker engine"
)


@dataclass(frozen=True)
class Infrastructure:
    pg_url: str
    amqp_url: str


@contextlib.contextmanager
def real_infrastructure() -> Iterator[Infrastructure]:
    defaults = Settings()
    pg_url = os.environ.get("FEDERA_PG_URL", defaults.pg_url)
    amqp_url = os.environ.get("FEDERA_AMQP_URL", defaults.amqp_url)
    pg_ok, amqp_ok = asyncio.run(both_answer(pg_url, amqp_url))
    if pg_ok and amqp_ok:
        yield Infrastructure(pg_url, amqp_url)
        return
    if not docker_engine_answers():
        missing = [
            n
            for n, ok in (("PostgreSQL at " + pg_url, pg_ok), ("RabbitMQ at " + amqp_url, amqp_ok))
            if not ok
        ]
        raise RuntimeError(f"{' and '.join(missing)} did not answer; {HOW_TO_START}")
    with contextlib.ExitStack() as stack:
        if not pg_ok:
            from testcontainers.postgres import PostgresContainer

            pg = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
            pg_url = (
                f"postgresql://{pg.username}:{pg.password}@"
                f"{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}"
            )
        if not amqp_ok:
            from testcontainers.rabbitmq import RabbitMqContainer

            mq = stack.enter_context(RabbitMqContainer("rabbitmq:3.13"))
            amqp_url = (
                f"amqp://guest:guest@{mq.get_container_host_ip()}:{mq.get_exposed_port(5672)}/"
            )
        yield Infrastructure(pg_url, amqp_url)
