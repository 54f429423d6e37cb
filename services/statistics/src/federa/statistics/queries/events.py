"""The event log: the archive, filtered, newest first, in words."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain.wording import Names, describe, event_name
from federa.statistics.queries.scope import Scope
from federa.statistics.storage.tables import event_archive, members, organisations, payers


@dataclass(frozen=True)
class LogFilter:
    event_type: str | None = (
        None  # a prefix: "billing", "billing.document", "billing.document.issued"
    )
    member_id: uuid.UUID | None = None
    # The subtree the entries must belong to (already checked against the caller's scope).
    organisations: frozenset[uuid.UUID] | None = None
    first: date | None = None
    last: date | None = None
    outcome: str | None = None


def _belongs(orgs: list[uuid.UUID]) -> ColumnElement[bool]:
    a = event_archive.c
    in_members = select(members.c.member_id).where(members.c.organisation_id.in_(orgs))
    return or_(a.organisation_id.in_(orgs), a.member_id.in_(in_members))


def _where(scope: Scope, flt: LogFilter) -> ColumnElement[bool]:
    a = event_archive.c
    conditions: list[ColumnElement[bool]] = [a.tenant == scope.tenant]
    if not scope.everything:
        conditions.append(_belongs(sorted(scope.organisation_ids)))
    if flt.organisations is not None:
        conditions.append(_belongs(sorted(flt.organisations)))
    if flt.event_type:
        conditions.append(a.event_type.startswith(f"federa.{flt.event_type}", autoescape=True))
    if flt.member_id:
        conditions.append(a.member_id == flt.member_id)
    if flt.first:
        conditions.append(a.occurred_at >= flt.first)
    if flt.last:
        conditions.append(a.occurred_at < flt.last + timedelta(days=1))
    if flt.outcome:
        conditions.append(or_(a.outcome == flt.outcome, a.outcome.startswith(f"{flt.outcome}:")))
    return and_(*conditions)


async def _names(session: AsyncSession, rows: list[Any]) -> Names:
    member_ids: set[uuid.UUID] = set()
    payer_ids: set[uuid.UUID] = set()
    org_ids: set[uuid.UUID] = set()
    for r in rows:
        data = r.envelope.get("data", {})
        for key in ("member_id", "primary_member_id", "secondary_member_id", "owner_member_id"):
            if data.get(key):
                member_ids.add(uuid.UUID(str(data[key])))
        if data.get("payer_account_id"):
            payer_ids.add(uuid.UUID(str(data["payer_account_id"])))
        if data.get("organisation_id"):
            org_ids.add(uuid.UUID(str(data["organisation_id"])))
    found_members = await session.execute(
        select(members.c.member_id, members.c.name).where(members.c.member_id.in_(member_ids))
    )
    found_payers = await session.execute(
        select(payers.c.payer_account_id, payers.c.name).where(
            payers.c.payer_account_id.in_(payer_ids)
        )
    )
    found_orgs = await session.execute(
        select(organisations.c.organisation_id, organisations.c.name).where(
            organisations.c.organisation_id.in_(org_ids)
        )
    )
    return Names(
        {r.member_id: r.name for r in found_members if r.name},
        {r.payer_account_id: r.name for r in found_payers},
        {r.organisation_id: r.name for r in found_orgs},
    )


async def event_log(
    session: AsyncSession, scope: Scope, flt: LogFilter, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    where = _where(scope, flt)
    total = (
        await session.execute(select(func.count()).select_from(event_archive).where(where))
    ).scalar_one()
    rows = list(
        await session.execute(
            select(event_archive)
            .where(where)
            .order_by(event_archive.c.occurred_at.desc(), event_archive.c.seq.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    names = await _names(session, rows)
    items = []
    for r in rows:
        service, aggregate, name = event_name(r.event_type)
        items.append(
            {
                "event_id": r.event_id,
                "type": r.event_type,
                "kind": f"{service}.{aggregate}.{name}",
                "occurred_at": r.occurred_at,
                "subject": r.subject,
                "member_id": r.member_id,
                "organisation_id": r.organisation_id,
                "outcome": r.outcome,
                "text": describe(r.event_type, r.envelope.get("data", {}), names),
            }
        )
    return int(total), items
