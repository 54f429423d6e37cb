"""`federa up`: the whole platform on one machine, five processes, one interleaved log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass

from federa.shared.probes import both_answer, docker_engine_answers
from federa.shared.settings import SERVICE_PORTS, Settings

COLOURS = ("36", "33", "35", "32", "34")

# Worker processes started beside a service: (name in the log, module run with `-m`). A second
# billing worker started by hand (`python -m federa.billing.worker`) shares the run chunks.
WORKERS: dict[str, tuple[tuple[str, str], ...]] = {
    "billing": (("billing-worker", "federa.billing.worker"),),
}


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    colour: str


def infrastructure_problem(settings: Settings) -> str | None:
    """One line saying what does not answer and how to start it, or None."""
    pg_ok, mq_ok = asyncio.run(both_answer(settings.pg_url, settings.amqp_url))
    if pg_ok and mq_ok:
        return None
    down = []
    if not pg_ok:
        down.append(
            f"PostgreSQL at {settings.pg_url} does not answer "
            "(start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
        )
    if not mq_ok:
        down.append(
            f"RabbitMQ at {settings.amqp_url} does not answer (start it: rabbitmq-server -detached)"
        )
    line = "; ".join(down)
    if docker_engine_answers():
        line += "; or with Docker: docker compose up -d rabbitmq postgres"
    return line


async def _pipe(child: Child, stream: asyncio.StreamReader, width: int) -> None:
    prefix = (
        f"\x1b[{child.colour}m{child.name:<{width}} |\x1b[0m "
        if sys.stdout.isatty()
        else (f"{child.name:<{width}} | ")
    )
    while line := await stream.readline():
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


def platform_processes(services: list[str]) -> list[tuple[str, str]]:
    """(name, module) of every process `federa up` starts for `services`."""
    processes = [(name, f"federa.{name}") for name in services]
    return processes + [worker for name in services for worker in WORKERS.get(name, ())]


async def run_platform(services: list[str]) -> int:
    processes = platform_processes(services)
    width = max(len(name) for name, _ in processes)
    children: list[Child] = []
    # People read this log; JSON lines are for collectors (set FEDERA_LOG_JSON=true for them).
    env = {"FEDERA_LOG_JSON": "false", **os.environ, "PYTHONUNBUFFERED": "1"}
    for index, (name, module) in enumerate(processes):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        children.append(Child(name, process, COLOURS[index % len(COLOURS)]))
    pipes = [
        asyncio.create_task(_pipe(c, c.process.stdout, width))  # type: ignore[arg-type]
        for c in children
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waits = {asyncio.create_task(c.process.wait()): c for c in children}
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*waits, stopper], return_when=asyncio.FIRST_COMPLETED)
    status = 0
    for task in done:
        if task in waits:
            child = waits[task]
            print(f"{child.name} exited with {child.process.returncode}; stopping the others")
            status = 1
    print("stopping all services…")
    for child in children:
        if child.process.returncode is None:
            child.process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.process.wait() for c in children)), 30)
    except TimeoutError:
        for child in children:
            if child.process.returncode is None:
                child.process.kill()
    for pipe in pipes:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pipe, 2)
    stopper.cancel()
    return status


def up(services: list[str] | None = None) -> int:
    settings = Settings()
    problem = infrastructure_problem(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    chosen = services or list(SERVICE_PORTS)
    ports = ", ".join(f"{s} :{SERVICE_PORTS[s]}" for s in chosen)
    print(f"starting {ports} (Ctrl-C stops them all)")
    return asyncio.run(run_platform(chosen))
