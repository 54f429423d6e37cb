"""Households and companies (SPEC §2.1 rule 5): secondary members linked to a primary member.

A link is one level deep (`domain.household.check_link`). Linking gives the secondary the
primary's address unless it opted out (`address_sync_disabled`); unlinking leaves every address
as it is. Name propagation follows the tenant's `name_propagation`:

- `primary_to_secondaries`: on link the secondary's `name_2` becomes the primary's name; on
  unlink it is cleared if it still holds that name; when the primary is renamed, every
  secondary whose `name_2` still holds the old name gets the new one.
- `first_secondary_to_primary`: linking a primary's first secondary sets the primary's
  `name_2` to that secondary's name; when that secondary is unlinked (or erased) the primary's
  `name_2` passes to the remaining secondary linked earliest, or is cleared; when that secondary
  is renamed, the primary's `name_2` follows.
- `none`: names are never touched.

A `name_2` edited by hand (no longer equal to the propagated name) is never overwritten by an
unlink or a rename. Erased members neither pass on nor receive anything.

Locks: the primary's row before the secondary's, the order `maintenance` uses when it passes
an address on, so the two never wait on each other crosswise.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.history import changes
from federa.members.domain.household import (
    ADDRESS_FIELDS,
    HouseholdError,
    NamePropagation,
    check_link,
)
from federa.members.member_store import (
    load_visible,
    record_address_changed_in_tx,
    record_member_event_in_tx,
    save_new_version_in_tx,
    write_history_in_tx,
)
from federa.members.scope import Scope, visible_members
from federa.members.storage.tables import member_history, members
from federa.members.tenancy import ensure_tenant_in_tx
from federa.shared.contracts.members import (
    HOUSEHOLD_LINKED,
    HOUSEHOLD_UNLINKED,
    MEMBER_UPDATED,
    HouseholdLinkV1,
)
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

LINK_FIELD = "primary_member_id"


def has_address(row: Mapping[str, Any]) -> bool:
    # A primary without an address has nothing to pass on; copying would wipe the secondary's.
    return any(row.get(f) for f in ADDRESS_FIELDS if f != "country_code")


def _refuse_erased(*rows: Mapping[str, Any]) -> None:
    for row in rows:
        if row.get("erased_at") is not None:
            raise Problem(
                409,
                "member-erased",
                "Member erased",
                f"Member {row['id']} was erased; it cannot join or leave a household.",
            )


async def load_in_tenant(
    session: AsyncSession, tenant: str, member_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    """A member by id within a tenant, whoever asks (rules applied on the caller's behalf)."""
    query = select(members).where(members.c.id == member_id, members.c.tenant == tenant)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().one_or_none()
    return dict(row) if row is not None else None


async def secondaries_of(
    session: AsyncSession, primary_id: uuid.UUID, *, for_update: bool = False
) -> list[dict[str, Any]]:
    query = (
        select(members)
        .where(members.c.primary_member_id == primary_id)
        .order_by(members.c.member_number)
    )
    if for_update:
        query = query.with_for_update()
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def _set_fields_in_tx(
    session: AsyncSession,
    row: dict[str, Any],
    values: Mapping[str, Any],
    actor: str,
    *,
    action: str = "updated",
) -> dict[str, Any]:
    """A new version with `values`, its history and `member.updated`; unchanged: no-op."""
    diff = changes(row, {**row, **values}, values)
    if not diff:
        return row
    updated = await save_new_version_in_tx(session, row, dict(values), actor)
    await write_history_in_tx(session, updated, action=action, changes=diff, actor=actor)
    await record_member_event_in_tx(
        session,
        MEMBER_UPDATED,
        updated,
        changed_fields=sorted(diff),
        updated_at=updated["updated_at"],
        updated_by=actor,
    )
    return updated


async def take_address_in_tx(
    session: AsyncSession,
    row: dict[str, Any],
    values: Mapping[str, Any],
    actor: str,
    *,
    propagated_from: uuid.UUID | None,
    effective_date: date,
) -> dict[str, Any]:
    """Give the member a new address: `member.updated`, then `member.address_changed` in a
    version of its own (as `maintenance` does), so every projection sees the move by itself."""
    diff = changes(row, {**row, **values}, ADDRESS_FIELDS)
    if not diff:
        return row
    moved = await _set_fields_in_tx(session, row, {f: values[f] for f in diff}, actor)
    return await record_address_changed_in_tx(
        session, moved, diff, actor, propagated_from=propagated_from, effective_date=effective_date
    )


async def pass_address_to_secondaries_in_tx(
    session: AsyncSession, primary: Mapping[str, Any], actor: str, *, effective_date: date
) -> None:
    """The primary's address reaches every secondary that did not opt out."""
    values = {f: primary[f] for f in ADDRESS_FIELDS}
    for secondary in await secondaries_of(session, primary["id"], for_update=True):
        if secondary["address_sync_disabled"] or secondary["erased_at"] is not None:
            continue
        await take_address_in_tx(
            session,
            secondary,
            values,
            actor,
            propagated_from=primary["id"],
            effective_date=effective_date,
        )


async def _name_propagation(session: AsyncSession, tenant: str) -> NamePropagation:
    settings = await ensure_tenant_in_tx(session, tenant)
    try:
        return NamePropagation(settings.name_propagation)
    except ValueError:
        return NamePropagation.NONE


async def _set_name_2_in_tx(
    session: AsyncSession, row: dict[str, Any], name_2: str | None, actor: str
) -> dict[str, Any]:
    if row["erased_at"] is not None:
        return row
    return await _set_fields_in_tx(session, row, {"name_2": name_2}, actor)


async def _earliest_linked_secondary(
    session: AsyncSession, primary_id: uuid.UUID
) -> dict[str, Any] | None:
    """The secondary whose current link is the oldest: the household's "first" secondary."""
    linked_at = (
        select(func.max(member_history.c.changed_at))
        .where(
            member_history.c.member_id == members.c.id,
            member_history.c.action == "household_linked",
        )
        .scalar_subquery()
    )
    row = (
        (
            await session.execute(
                select(members)
                .where(members.c.primary_member_id == primary_id, members.c.erased_at.is_(None))
                .order_by(linked_at.nulls_first(), members.c.member_number)
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    return dict(row) if row is not None else None


async def _event(
    session: AsyncSession, linked: bool, secondary: Mapping[str, Any], primary_id: uuid.UUID
) -> None:
    spec = HOUSEHOLD_LINKED if linked else HOUSEHOLD_UNLINKED
    data = HouseholdLinkV1(
        primary_member_id=primary_id,
        secondary_member_id=secondary["id"],
        at=secondary["updated_at"],
        by=secondary["updated_by"],
    )
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(secondary["id"]),
            tenant=secondary["tenant"],
            aggregate_version=secondary["version"],
        ),
    )


async def _detach_in_tx(
    session: AsyncSession, secondary: dict[str, Any], primary: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Unlink a locked secondary from its locked primary; names follow the tenant's option."""
    unlinked = await _set_fields_in_tx(
        session, secondary, {LINK_FIELD: None}, actor, action="household_unlinked"
    )
    await _event(session, False, unlinked, primary["id"])
    rule = await _name_propagation(session, primary["tenant"])
    if rule is NamePropagation.PRIMARY_TO_SECONDARIES:
        if unlinked["name_2"] is not None and unlinked["name_2"] == primary["name"]:
            unlinked = await _set_name_2_in_tx(session, unlinked, None, actor)
    elif rule is NamePropagation.FIRST_SECONDARY_TO_PRIMARY and (
        primary["name_2"] is not None and primary["name_2"] == secondary["name"]
    ):
        successor = await _earliest_linked_secondary(session, primary["id"])
        await _set_name_2_in_tx(session, primary, successor["name"] if successor else None, actor)
    return unlinked


def _household_problem(error: HouseholdError, self_link: bool) -> Problem:
    # Linking a member to itself is bad input; the others conflict with the household as is.
    return Problem(
        422 if self_link else 409,
        "validation-error" if self_link else "household-conflict",
        "Invalid request" if self_link else "Household conflict",
        str(error),
        errors=[{"field": LINK_FIELD, "message": str(error)}],
    )


async def link_in_tx(
    session: AsyncSession,
    *,
    scope: Scope,
    secondary_id: uuid.UUID,
    primary_id: uuid.UUID,
    actor: str,
) -> dict[str, Any]:
    """Make `secondary_id` a secondary of `primary_id`; returns the secondary's row.

    Linking to the primary it already has changes nothing; linking to another primary moves
    it (unlinked from the old one, then linked: two versions, two events)."""
    try:
        check_link(
            primary_id=primary_id,
            secondary_id=secondary_id,
            primary_has_primary=False,
            secondary_has_secondaries=False,
        )
    except HouseholdError as error:
        raise _household_problem(error, self_link=True) from error
    primary = await load_visible(session, scope, primary_id, for_update=True)
    secondary = await load_visible(session, scope, secondary_id, for_update=True)
    _refuse_erased(primary, secondary)
    if secondary[LINK_FIELD] == primary_id:
        return secondary
    has_secondaries = bool(await secondaries_of(session, secondary_id))
    try:
        check_link(
            primary_id=primary_id,
            secondary_id=secondary_id,
            primary_has_primary=primary[LINK_FIELD] is not None,
            secondary_has_secondaries=has_secondaries,
        )
    except HouseholdError as error:
        raise _household_problem(error, self_link=False) from error
    if secondary[LINK_FIELD] is not None:
        old = await load_in_tenant(
            session, secondary["tenant"], secondary[LINK_FIELD], for_update=True
        )
        if old is not None:
            secondary = await _detach_in_tx(session, secondary, old, actor)
    first = not await secondaries_of(session, primary_id)
    linked = await _set_fields_in_tx(
        session, secondary, {LINK_FIELD: primary_id}, actor, action="household_linked"
    )
    await _event(session, True, linked, primary_id)
    if not linked["address_sync_disabled"] and has_address(primary):
        linked = await take_address_in_tx(
            session,
            linked,
            {f: primary[f] for f in ADDRESS_FIELDS},
            actor,
            propagated_from=primary_id,
            effective_date=date.today(),
        )
    rule = await _name_propagation(session, primary["tenant"])
    if rule is NamePropagation.PRIMARY_TO_SECONDARIES:
        linked = await _set_name_2_in_tx(session, linked, primary["name"], actor)
    elif rule is NamePropagation.FIRST_SECONDARY_TO_PRIMARY and first:
        await _set_name_2_in_tx(session, primary, linked["name"], actor)
    return linked


async def unlink_in_tx(
    session: AsyncSession, *, scope: Scope, secondary_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    """Unlink the member from its primary; a member with no primary is left as it is."""
    seen = await load_visible(session, scope, secondary_id)
    if seen[LINK_FIELD] is None:
        return seen
    primary = await load_in_tenant(session, seen["tenant"], seen[LINK_FIELD], for_update=True)
    secondary = await load_visible(session, scope, secondary_id, for_update=True)
    if primary is None or secondary[LINK_FIELD] != primary["id"]:
        raise Problem(
            409,
            "concurrent-change",
            "Changed meanwhile",
            "The member's household changed while unlinking; try again.",
        )
    _refuse_erased(secondary)
    return await _detach_in_tx(session, secondary, primary, actor)


async def dissolve_in_tx(session: AsyncSession, row: dict[str, Any], actor: str) -> dict[str, Any]:
    """End every household link of a locked member: from its primary and to its secondaries
    (erasure). Returns the member's row after it."""
    if row[LINK_FIELD] is not None:
        primary = await load_in_tenant(session, row["tenant"], row[LINK_FIELD], for_update=True)
        if primary is not None:
            row = await _detach_in_tx(session, row, primary, actor)
    for secondary in await secondaries_of(session, row["id"], for_update=True):
        await _detach_in_tx(session, secondary, row, actor)
        row = await load_in_tenant(session, row["tenant"], row["id"]) or row
    return row


async def pass_name_change_in_tx(
    session: AsyncSession, member: Mapping[str, Any], old_name: str, actor: str
) -> None:
    """After `member` was renamed from `old_name`: propagated names follow it.

    Called by whoever renames a member, in the same transaction."""
    if member["erased_at"] is not None or member["name"] == old_name:
        return
    rule = await _name_propagation(session, member["tenant"])
    if rule is NamePropagation.PRIMARY_TO_SECONDARIES:
        for secondary in await secondaries_of(session, member["id"], for_update=True):
            if secondary["name_2"] == old_name:
                await _set_name_2_in_tx(session, secondary, member["name"], actor)
    elif rule is NamePropagation.FIRST_SECONDARY_TO_PRIMARY and member[LINK_FIELD] is not None:
        primary = await load_in_tenant(
            session, member["tenant"], member[LINK_FIELD], for_update=True
        )
        if primary is not None and primary["name_2"] == old_name:
            await _set_name_2_in_tx(session, primary, member["name"], actor)


async def household_of(
    session: AsyncSession, scope: Scope, member_id: uuid.UUID
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The household the member belongs to: its primary (the member itself if it heads one)
    and every secondary; members outside the caller's subtree are left out."""
    member = await load_visible(session, scope, member_id)
    head_id = member[LINK_FIELD] or member["id"]
    rows = (
        (
            await session.execute(
                select(members)
                .where(
                    (members.c.id == head_id) | (members.c.primary_member_id == head_id),
                    visible_members(scope),
                )
                .order_by(members.c.member_number)
            )
        )
        .mappings()
        .all()
    )
    head = next((dict(r) for r in rows if r["id"] == head_id), None)
    secondaries = [dict(r) for r in rows if r["id"] != head_id]
    if head is not None and head["id"] == member_id and not secondaries:
        return None, []  # on its own: no household
    return head, secondaries
