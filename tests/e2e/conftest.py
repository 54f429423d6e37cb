"""The five services as real processes, each on a free port, in a namespace of their own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from federa.shared.auth import Role, mint_dev_token
from federa.shared.settings import SERVICE_PORTS, Settings
from federa.shared.testing.infrastructure import Infrastructure
from federa.shared.testing.plugin import Namespaces


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", f"federa.{self.name}"],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {timeout}s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.popen is not None
        self.popen.kill()
        self.popen.wait(10)

    def stop(self) -> int:
        assert self.popen is not None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(30)


@dataclass
class Processes:
    by_name: dict[str, Process]
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Process:
        return self.by_name[name]

    def auth(self, tenant: str) -> dict[str, str]:
        token = mint_dev_token(self.settings, roles=[Role.SUPERUSER], tenant=tenant)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def processes(
    infrastructure: Infrastructure, namespaces: Namespaces, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Processes]:
    """The platform for one test module; at the end each process must shut down cleanly."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    namespace = namespaces.new()
    base_env = {
        **os.environ,
        "FEDERA_NAMESPACE": namespace,
        "FEDERA_PG_URL": infrastructure.pg_url,
        "FEDERA_AMQP_URL": infrastructure.amqp_url,
        "FEDERA_LOG_JSON": "false",
        "FEDERA_DB_POOL_SIZE": "3",
        "PYTHONUNBUFFERED": "1",
    }
    by_name = {
        name: Process(name, _free_port(), {**base_env, "FEDERA_PORT": ""}, tmp_path / f"{name}.log")
        for name in SERVICE_PORTS
    }
    for process in by_name.values():
        process.env["FEDERA_PORT"] = str(process.port)
        process.start()
    running = Processes(by_name, Settings(namespace=namespace))
    try:
        for process in by_name.values():
            process.wait_ready()
        yield running
    finally:
        for process in by_name.values():
            if process.popen is not None and process.popen.poll() is None:
                process.stop()
    for process in by_name.values():
        # uvicorn re-raises SIGTERM after a graceful shutdown, hence -15 rather than 0.
        assert process.popen is not None
        assert process.popen.returncode in (0, -signal.SIGTERM), process.log.read_text()[-2000:]
        assert "Application shutdown complete" in process.log.read_text(), process.name
