from __future__ import annotations

import pytest

from federa.shared.settings import Settings, asyncpg_url


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://postgres@db:5432",
        "postgresql://postgres@db:5432/",
        "postgres://postgres@db:5432/anything",
        "postgresql+asyncpg://postgres@db:5432",
    ],
)
def test_any_server_url_form_becomes_the_asyncpg_server_url(given: str) -> None:
    assert asyncpg_url(given) == "postgresql+asyncpg://postgres@db:5432"


def test_each_service_has_its_own_database_and_port() -> None:
    billing = Settings(service="billing")
    assert billing.database_name == "federa_billing"
    assert billing.database_url.endswith("@127.0.0.1:5432/federa_billing")
    assert billing.http_port == 8002
    assert Settings(service="statistics", port=9999).http_port == 9999
    assert Settings(service="members", namespace="t1").database_name == "t1_members"
