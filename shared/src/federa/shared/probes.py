"""Does the database server or the broker answer? Used by `federa up` and the test fixtures."""

from __future__ import annotations

import asyncio

import aio_pika
import asyncpg

from federa.shared.settings import asyncpg_url, plain_pg_url


async def postgres_answers(pg_url: str) -> bool:
    try:
        conn = await asyncpg.connect(plain_pg_url(asyncpg_url(pg_url)) + "/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def rabbitmq_answers(amqp_url: str) -> bool:
    try:
        connection = await aio_pika.connect(amqp_url, timeout=3)
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError):
        return False
    await connection.close()
    return True


def docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return False
    return True


async def both_answer(pg_url: str, amqp_url: str) -> tuple[bool, bool]:
    pg, mq = await asyncio.gather(postgres_answers(pg_url), rabbitmq_answers(amqp_url))
    return pg, mq
