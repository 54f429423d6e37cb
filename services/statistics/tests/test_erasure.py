"""member.erased: the person's name leaves the log, the archive and a rebuild."""

from __future__ import annotations

import json

from sqlalchemy import select

from federa.statistics.rebuild import rebuild
from federa.statistics.storage.tables import event_archive

from .conftest import Stats
from .histories import reference_history


async def test_an_erased_member_is_gone_from_the_log_the_archive_and_a_rebuild(
    stats: Stats,
) -> None:
    history = reference_history(stats.tenant)
    history.erase("anna")
    await stats.feed(history.events)
    anna = history.id("member:anna")

    async def texts() -> str:
        log = await stats.get("/v1/events", member_id=anna, limit=100)
        assert log["total"] > 3
        return " ".join(i["text"] for i in log["items"])

    assert "anna" not in await texts()
    assert "Erased member 1" in await texts()
    async with stats.service.runtime.db.sessions() as session:
        envelopes = (
            await session.execute(
                select(event_archive.c.envelope).where(
                    event_archive.c.tenant == stats.tenant, event_archive.c.member_id == anna
                )
            )
        ).scalars()
        archived = json.dumps(list(envelopes))
    assert '"anna"' not in archived
    assert "1950-05-01" not in archived  # the birth date went too
    await rebuild(stats.service.runtime.db, tenant=stats.tenant)
    assert "anna" not in await texts()
    # The figures do not depend on who she was: her subscription still counts.
    body = await stats.get("/v1/subscription-statistics", from_="2024-01-01", to="2024-12-31")
    assert body["total"]["opening"]["count"] == 1
