"""`python -m federa.statistics.rebuild`: every read model emptied and replayed from the
archive, all tenants at once, gives the figures back."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from federa.statistics.rebuild import app

from .conftest import Stats
from .histories import reference_history
from .test_replay_and_scope import figures


async def test_the_rebuild_command_gives_the_same_figures(stats: Stats) -> None:
    history = reference_history(stats.tenant)
    await stats.feed(history.events)
    before = await figures(stats, history)
    settings = stats.service.settings
    env = {"FEDERA_NAMESPACE": settings.namespace, "FEDERA_PG_URL": settings.pg_url}
    # The command runs its own event loop, so it runs in a thread of its own here.
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--batch", "100"], env=env)
    assert result.exit_code == 0, result.output
    assert "replayed" in result.output
    assert await figures(stats, history) == before
