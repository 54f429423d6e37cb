from __future__ import annotations

from federa.shared.launcher import infrastructure_problem, platform_processes
from federa.shared.settings import Settings
from federa.shared.testing.infrastructure import Infrastructure


def test_make_up_names_what_does_not_answer_and_how_to_start_it() -> None:
    nothing_there = Settings(
        pg_url="postgresql://postgres@127.0.0.1:1", amqp_url="amqp://guest:guest@127.0.0.1:1/"
    )
    line = infrastructure_problem(nothing_there)
    assert line is not None
    assert "\n" not in line
    assert "PostgreSQL at postgresql://postgres@127.0.0.1:1 does not answer" in line
    assert "pg_ctlcluster" in line
    assert "RabbitMQ at amqp://guest:guest@127.0.0.1:1/ does not answer" in line
    assert "rabbitmq-server -detached" in line


def test_make_up_is_quiet_when_both_answer(infrastructure: Infrastructure) -> None:
    settings = Settings(pg_url=infrastructure.pg_url, amqp_url=infrastructure.amqp_url)
    assert infrastructure_problem(settings) is None


def test_make_up_starts_a_billing_worker_beside_the_billing_service() -> None:
    assert platform_processes(["members", "billing"]) == [
        ("members", "federa.members"),
        ("billing", "federa.billing"),
        ("billing-worker", "federa.billing.worker"),
    ]
    assert platform_processes(["members"]) == [("members", "federa.members")]
