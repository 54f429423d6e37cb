"""Stops dated in the future (SPEC §2.2 rule 8: "the stop is recorded as a (possibly
future-dated) stop event").

A stop whose date is today or earlier publishes `billing.subscription.stopped` at once. A later
one publishes `billing.subscription.stop_scheduled` and keeps a row in `scheduled_stops`; on
the stop date the daily job publishes `stopped` (with the member status its reason sets, so
members changes the status on the right day) as the subscription's next version, and stamps
the row. A restart, a delete or another stop of the subscription removes or replaces a pending
row first.

The job claims due rows together with their subscriptions `FOR UPDATE SKIP LOCKED`, so
replicas running it at once share the work and never wait on a command holding a
subscription; what is held is left for the next run. It publishes everything due up to the
day it runs for, so a run after downtime catches up on the days missed, and a stamped row is
never published twice.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.lifecycle import Stopped, takes_effect_later
from federa.billing.storage.tables import scheduled_stops, subscriptions
from federa.billing.subscriptions import events
from federa.billing.subscriptions.events import StopFacts
from federa.billing.subscriptions.store import (
    StoredSubscription,
    entry_of,
    lifecycle_rows,
    save_new_version,
    state_of,
)
from federa.shared.daily import daily
from federa.shared.db import Database

log = logging.getLogger(__name__)

JOB_ACTOR = "job:scheduled-stops"


async def record_stop_in_tx(
    session: AsyncSession,
    stored: StoredSubscription,
    stopped: Stopped,
    *,
    today: date,
    related: tuple[uuid.UUID, ...] = (),
    member_status_to_set: str | None,
) -> None:
    """Publish the stop now, or schedule it for its date; either way it replaces a pending
    stop of the subscription."""
    facts = StopFacts.of(stopped, related=related, member_status_to_set=member_status_to_set)
    if not takes_effect_later(stopped, today=today):
        await cancel_pending_stop_in_tx(session, stored.id)
        await events.record_stopped_in_tx(session, stored, facts)
        return
    values = {
        "tenant": stored.row["tenant"],
        "stop_date": facts.stop_date,
        "reason_code": facts.reason_code,
        "credited": facts.credited,
        "member_status_to_set": facts.member_status_to_set,
        "related_subscription_ids": list(facts.related),
        "scheduled_at": datetime.now(UTC),
        "published_at": None,
    }
    statement = insert(scheduled_stops).values(subscription_id=stored.id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["subscription_id"], set_=values)
    )
    await events.record_stop_scheduled_in_tx(session, stored, facts)


async def cancel_pending_stop_in_tx(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    """A restart, delete or newer stop replaces the stop that has not taken effect yet."""
    await session.execute(
        delete(scheduled_stops).where(
            scheduled_stops.c.subscription_id == subscription_id,
            scheduled_stops.c.published_at.is_(None),
        )
    )


@dataclass
class StopRun:
    on: date
    published: int = 0
    failed: list[uuid.UUID] = field(default_factory=list)


async def _claim_batch(
    session: AsyncSession, on: date, tenant: str | None, after: uuid.UUID | None, size: int
) -> list[uuid.UUID]:
    query = (
        select(scheduled_stops.c.subscription_id)
        .join(subscriptions, subscriptions.c.id == scheduled_stops.c.subscription_id)
        .where(scheduled_stops.c.published_at.is_(None), scheduled_stops.c.stop_date <= on)
    )
    if tenant is not None:
        query = query.where(scheduled_stops.c.tenant == tenant)
    if after is not None:
        query = query.where(scheduled_stops.c.subscription_id > after)
    rows = await session.execute(
        query.order_by(scheduled_stops.c.subscription_id)
        .limit(size)
        # Both rows: a command holding the subscription is never waited for (nor deadlocked
        # with); its row is left for the next run.
        .with_for_update(skip_locked=True)
    )
    return [row.subscription_id for row in rows]


async def _publish_one_in_tx(session: AsyncSession, subscription_id: uuid.UUID, actor: str) -> bool:
    pending = (
        (
            await session.execute(
                select(scheduled_stops).where(scheduled_stops.c.subscription_id == subscription_id)
            )
        )
        .mappings()
        .one()
    )
    row = (
        (await session.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)))
        .mappings()
        .one()
    )
    entries = [entry_of(entry) for entry in await lifecycle_rows(session, subscription_id)]
    stored = StoredSubscription(dict(row), state_of(dict(row), entries))
    still_stops = row["deleted_at"] is None and stored.state.to_date == pending[
        "stop_date"
    ] - timedelta(days=1)
    if not still_stops:
        # Every command that replaces a stop removes its row; this guards the rest.
        await session.execute(
            delete(scheduled_stops).where(scheduled_stops.c.subscription_id == subscription_id)
        )
        return False
    # Taking effect is a change of the subscription (its status turns to stopped), so the
    # event carries a new version and order-safe consumers never drop it as stale.
    saved = await save_new_version(session, stored, stored.state, actor=actor)
    facts = StopFacts(
        pending["stop_date"],
        pending["reason_code"],
        pending["credited"],
        tuple(pending["related_subscription_ids"]),
        pending["member_status_to_set"],
    )
    await events.record_stopped_in_tx(session, saved, facts)
    await session.execute(
        update(scheduled_stops)
        .where(scheduled_stops.c.subscription_id == subscription_id)
        .values(published_at=datetime.now(UTC))
    )
    return True


async def publish_due_stops(
    db: Database,
    on: date,
    tenant: str | None = None,
    *,
    batch_size: int = 100,
    actor: str = JOB_ACTOR,
) -> StopRun:
    """Publish `stopped` for every scheduled stop dated `on` or earlier (one tenant, or all).
    Idempotent; one transaction per batch; a stop that fails is rolled back to its savepoint,
    logged and left for the next run."""
    run = StopRun(on)
    after: uuid.UUID | None = None
    while True:
        async with db.transaction() as session:
            batch = await _claim_batch(session, on, tenant, after, batch_size)
            if not batch:
                return run
            for subscription_id in batch:
                try:
                    async with session.begin_nested():
                        if await _publish_one_in_tx(session, subscription_id, actor):
                            run.published += 1
                except Exception:
                    log.exception("publishing the stop of subscription %s failed", subscription_id)
                    run.failed.append(subscription_id)
            after = batch[-1]


async def _publish_today(db: Database, on: date) -> None:
    run = await publish_due_stops(db, on)
    if run.published or run.failed:
        log.info("published %s scheduled stops; %s failed", run.published, len(run.failed))


def daily_stops(db: Database) -> contextlib.AbstractAsyncContextManager[None]:
    """Publish the day's stops at start and shortly after every midnight."""
    return daily("scheduled-stops", partial(_publish_today, db))
