"""Status changes other services ask for (SPEC §2.1 rule 11, flow F5 step 6, F6 step 3).

`billing.subscription.stopped` sets the member status its stop reason names;
`payments.arrears_stop.executed` applies the options chosen when the arrears stop was
executed: status, leaving reason and date, category, and ending active offices and
affiliations.

Decisions:
- An unknown member (or one of another tenant) is logged and acknowledged: members is the
  source of every member id, so a retry cannot make it appear. An erased member likewise.
- A requested code members does not know (a status, leaving reason or category configured in
  billing or payments but not here) is skipped, the rest is applied, and the skip is noted in
  the member's history (action `request_skipped`, in a version of its own and without an event,
  since nothing others hold changed), where staff see why the status did not change. The event
  is acknowledged: redelivery would fail the same way until someone adds the code, and one
  member's configuration gap must not hold the queue.
- The same event twice is applied once (the inbox); a status the member already has changes
  nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.affiliations import (
    ANCESTOR,
    end_affiliation_in_tx,
    end_office_in_tx,
)
from federa.members.households import load_in_tenant
from federa.members.http.schemas import Leave, MemberUpdate, StatusChange
from federa.members.maintenance import change_status_in_tx, leave_in_tx, update_member_in_tx
from federa.members.member_store import save_new_version_in_tx, write_history_in_tx
from federa.members.scope import Scope
from federa.members.storage.tables import affiliations, offices
from federa.members.tenancy import require_codes_in_tx
from federa.shared.contracts.billing import SUBSCRIPTION_STOPPED, SubscriptionStoppedV1
from federa.shared.contracts.payments import ARREARS_STOP_EXECUTED, ArrearsStopExecutedV1
from federa.shared.envelope import CloudEvent
from federa.shared.http.problems import Problem
from federa.shared.messaging.consumer import Subscription, on

log = logging.getLogger(__name__)


async def _member(
    session: AsyncSession, event: CloudEvent, member_id: uuid.UUID
) -> dict[str, Any] | None:
    row = await load_in_tenant(session, event.tenant, member_id)
    if row is None:
        log.warning(
            "%s %s names member %s, unknown in tenant %s; ignored",
            event.type,
            event.id,
            member_id,
            event.tenant,
        )
        return None
    if row["erased_at"] is not None:
        log.info("%s %s names erased member %s; ignored", event.type, event.id, member_id)
        return None
    return row


class _Asked:
    """What an event asks of one member: the parts that can be applied, the parts skipped."""

    def __init__(self, session: AsyncSession, event: CloudEvent, member: dict[str, Any]) -> None:
        self.session = session
        self.event = event
        self.member = member
        self.skipped: dict[str, dict[str, Any]] = {}

    async def known(self, field: str, kind: str, code: str | None) -> str | None:
        """`code` if the tenant knows it; otherwise None, and the skip noted."""
        if code is None:
            return None
        try:
            await require_codes_in_tx(self.session, self.event.tenant, {field: (kind, code)})
        except Problem as problem:
            self.skip(field, code, problem.detail or problem.title)
            return None
        return code

    def skip(self, field: str, wanted: Any, why: str) -> None:
        self.skipped[field] = {
            "from": _plain(self.member.get(field)),
            "to": _plain(wanted),
            "skipped": why,
        }
        log.warning(
            "%s %s: %s %r for member %s skipped: %s",
            self.event.type,
            self.event.id,
            field,
            wanted,
            self.member["id"],
            why,
        )

    async def attempt(self, field: str, wanted: Any, step: Awaitable[object]) -> None:
        """Run one step in a savepoint; a refusal (a problem) skips it and keeps the rest."""
        try:
            async with self.session.begin_nested():
                await step
        except Problem as problem:
            self.skip(field, wanted, problem.detail or problem.title)

    async def note_skipped(self, actor: str) -> None:
        if not self.skipped:
            return
        row = await load_in_tenant(
            self.session, self.event.tenant, self.member["id"], for_update=True
        )
        if row is None:
            return
        noted = await save_new_version_in_tx(self.session, row, {}, actor)
        await write_history_in_tx(
            self.session,
            noted,
            action="request_skipped",
            changes={**self.skipped, "event": {"from": None, "to": self.event.id}},
            actor=actor,
        )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def on_subscription_stopped(
    session: AsyncSession, event: CloudEvent, data: SubscriptionStoppedV1
) -> None:
    if data.member_status_to_set is None:
        return
    member = await _member(session, event, data.member_id)
    if member is None:
        return
    actor = f"billing:{event.id}"
    request = _Asked(session, event, member)
    status = await request.known("status", "status", data.member_status_to_set)
    if status is not None:
        what = data.product_code or str(data.subscription_id)
        reason = f"subscription {what} stopped" + (
            f" ({data.reason_code})" if data.reason_code else ""
        )
        await request.attempt(
            "status",
            status,
            change_status_in_tx(
                session,
                scope=None,
                tenant=event.tenant,
                member_id=data.member_id,
                request=StatusChange(status=status, reason=reason[:200]),
                actor=actor,
            ),
        )
    await request.note_skipped(actor)


async def on_arrears_stop_executed(
    session: AsyncSession, event: CloudEvent, data: ArrearsStopExecutedV1
) -> None:
    member = await _member(session, event, data.member_id)
    if member is None:
        return
    actor = f"payments:{event.id}"
    request = _Asked(session, event, member)
    status = await request.known("status", "status", data.member_status_to_set)
    category = await request.known("category", "category", data.member_category_to_set)
    leaving_reason = await request.known("leaving_reason", "leaving_reason", data.leaving_reason)
    # A leaving date alone keeps the reason the member already has; none at all: no leave.
    if data.leaving_date is not None and leaving_reason is None and not data.leaving_reason:
        leaving_reason = member["leaving_reason"]
        if leaving_reason is None:
            request.skip("leaving_date", data.leaving_date, "a leaving date needs a reason")
    end_date = data.leaving_date or event.time.date()
    # Everyone who may act on the member: the event speaks for the owner of the stop.
    everything = Scope(event.tenant, True, ())

    # Before the leave, as `leave_in_tx` does, so `member.left` carries the ended affiliations.
    if data.stop_active_affiliations:
        await _end_affiliations_in_tx(session, event.tenant, data.member_id, end_date)
    if data.stop_active_offices:
        await _end_offices_in_tx(session, event.tenant, data.member_id, end_date)
    if category is not None:
        await request.attempt(
            "category",
            category,
            update_member_in_tx(
                session,
                scope=everything,
                member_id=data.member_id,
                request=MemberUpdate(category=category),
                actor=actor,
            ),
        )
    if leaving_reason is not None:
        await request.attempt(
            "leaving_reason",
            leaving_reason,
            leave_in_tx(
                session,
                scope=None,
                tenant=event.tenant,
                member_id=data.member_id,
                request=Leave(
                    leaving_reason=leaving_reason,
                    leaving_date=end_date,
                    status=status or member["status"],
                    end_affiliations_and_offices=False,
                ),
                actor=actor,
            ),
        )
    if status is not None and (leaving_reason is None or "leaving_reason" in request.skipped):
        await request.attempt(
            "status",
            status,
            change_status_in_tx(
                session,
                scope=None,
                tenant=event.tenant,
                member_id=data.member_id,
                request=StatusChange(status=status, reason="arrears stop"),
                actor=actor,
            ),
        )
    await request.note_skipped(actor)


async def _end_affiliations_in_tx(
    session: AsyncSession, tenant: str, member_id: uuid.UUID, to_date: date
) -> None:
    """End the member's base affiliations open after `to_date` (ancestors follow them)."""
    open_ones = await session.execute(
        select(affiliations.c.id).where(
            affiliations.c.member_id == member_id,
            affiliations.c.source != ANCESTOR,
            affiliations.c.from_date <= to_date,
            affiliations.c.to_date.is_(None) | (affiliations.c.to_date > to_date),
        )
    )
    for row in open_ones.all():
        await end_affiliation_in_tx(session, tenant=tenant, affiliation_id=row.id, to_date=to_date)


async def _end_offices_in_tx(
    session: AsyncSession, tenant: str, member_id: uuid.UUID, to_date: date
) -> None:
    open_ones = await session.execute(
        select(offices.c.id).where(
            offices.c.member_id == member_id,
            offices.c.from_date <= to_date,
            offices.c.to_date.is_(None) | (offices.c.to_date > to_date),
        )
    )
    for row in open_ones.all():
        await end_office_in_tx(session, tenant=tenant, office_id=row.id, to_date=to_date)


SUBSCRIPTIONS: list[Subscription[Any]] = [
    on(SUBSCRIPTION_STOPPED, on_subscription_stopped),
    on(ARREARS_STOP_EXECUTED, on_arrears_stop_executed),
]
