"""Reading and writing members inside a caller's transaction: rows, history, events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.scope import Scope, visible_members
from federa.members.storage.tables import affiliations, member_history, members
from federa.shared.contracts.members import MEMBER_ADDRESS_CHANGED, MemberState
from federa.shared.contracts.registry import EventSpec
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

_NEXT_NUMBER = text(
    """
    INSERT INTO member_numbers (tenant, last_number) VALUES (:tenant, 1)
    ON CONFLICT (tenant) DO UPDATE SET last_number = member_numbers.last_number + 1
    RETURNING last_number
    """
)

STATE_FIELDS = tuple(MemberState.model_fields)


def now() -> datetime:
    return datetime.now(UTC)


def not_found(member_id: uuid.UUID) -> Problem:
    return Problem(404, "member-not-found", "Member not found", f"No member {member_id}.")


async def next_member_number_in_tx(session: AsyncSession, tenant: str) -> int:
    # A row lock per tenant: numbers are unique and gapless; a rollback returns its number.
    return int((await session.execute(_NEXT_NUMBER, {"tenant": tenant})).scalar_one())


async def load_visible(
    session: AsyncSession, scope: Scope, member_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any]:
    """The member if the caller may see it; 404 otherwise (existence is not revealed)."""
    query = select(members).where(members.c.id == member_id, visible_members(scope))
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise not_found(member_id)
    return dict(row)


async def active_organisation_ids_in_tx(
    session: AsyncSession, member_id: uuid.UUID, on: date | None = None
) -> list[uuid.UUID]:
    day = on or date.today()
    rows = await session.execute(
        select(affiliations.c.organisation_id)
        .where(
            affiliations.c.member_id == member_id,
            affiliations.c.from_date <= day,
            (affiliations.c.to_date.is_(None)) | (affiliations.c.to_date >= day),
        )
        .distinct()
    )
    return sorted(r.organisation_id for r in rows)


async def state_of(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    """The member's event state: its row plus the organisations it is affiliated to now."""
    state = {field: row.get(field) for field in STATE_FIELDS if field in row}
    state["member_id"] = row["id"]
    state["organisation_ids"] = await active_organisation_ids_in_tx(session, row["id"])
    return state


async def write_history_in_tx(
    session: AsyncSession,
    row: Mapping[str, Any],
    *,
    action: str,
    changes: Mapping[str, Any],
    actor: str,
) -> None:
    await session.execute(
        insert(member_history).values(
            member_id=row["id"],
            version=row["version"],
            tenant=row["tenant"],
            action=action,
            changes=dict(changes),
            changed_at=row["updated_at"],
            changed_by=actor,
        )
    )


async def record_member_event_in_tx(
    session: AsyncSession,
    spec: EventSpec[Any],
    row: Mapping[str, Any],
    **extra: Any,
) -> None:
    state = await state_of(session, row)
    data: BaseModel = spec.model(**state, **extra)
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(row["id"]),
            tenant=row["tenant"],
            aggregate_version=row["version"],
        ),
    )


async def save_new_version_in_tx(
    session: AsyncSession, row: dict[str, Any], values: Mapping[str, Any], actor: str
) -> dict[str, Any]:
    """Apply `values`, bump the version; returns the new row."""
    stamp = now()
    new_values = {**values, "version": row["version"] + 1, "updated_at": stamp, "updated_by": actor}
    await session.execute(update(members).where(members.c.id == row["id"]).values(**new_values))
    return {**row, **new_values}


async def record_address_changed_in_tx(
    session: AsyncSession,
    row: dict[str, Any],
    diff: Mapping[str, Any],
    actor: str,
    *,
    propagated_from: uuid.UUID | None,
    effective_date: date,
) -> dict[str, Any]:
    """After an address change was saved: `member.address_changed` in a version of its own,
    so every projection sees the move as an event by itself. Returns the new row."""
    bumped = await save_new_version_in_tx(session, row, {}, actor)
    await write_history_in_tx(session, bumped, action="address_changed", changes=diff, actor=actor)
    await record_member_event_in_tx(
        session,
        MEMBER_ADDRESS_CHANGED,
        bumped,
        effective_date=effective_date,
        propagated_from=propagated_from,
        changed_at=bumped["updated_at"],
        changed_by=actor,
    )
    return bumped
