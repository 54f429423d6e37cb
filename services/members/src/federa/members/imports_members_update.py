"""Importing members, phase 2, for members the file names by an existing external id: what
differs is changed through the API's own code (`update_member_in_tx` as a PATCH would,
`change_status_in_tx`, `start_affiliation_in_tx`); a member that matches the file is left
alone, so importing a file again changes nothing and publishes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.affiliations import start_affiliation_in_tx
from federa.members.domain.history import changes
from federa.members.http.schemas import MemberUpdate, StatusChange
from federa.members.imports_members import NOT_NULL, MemberContext, MemberLine
from federa.members.maintenance import (
    EDITABLE,
    SPLIT_ADDRESS,
    change_status_in_tx,
    update_member_in_tx,
)
from federa.members.registration import compose_address
from federa.members.storage.tables import affiliations

UPDATE_COLUMNS = frozenset(MemberUpdate.model_fields)


def sent_values(line: MemberLine, header: Sequence[str]) -> dict[str, Any]:
    """What a PATCH of the member would send: every column of the file, empty cells as null
    where a field may be null (an empty tags cell: no tags)."""
    sent: dict[str, Any] = {}
    for column in header:
        if column not in UPDATE_COLUMNS:
            continue
        if column in line.cells:
            sent[column] = getattr(line.request, column)
        elif column == "tags":
            sent[column] = []
        elif column not in NOT_NULL:
            sent[column] = None
    # Registration's rule: a birth date gives the birth year when none is given.
    if sent.get("birth_date") is not None and sent.get("birth_year") is None:
        sent["birth_year"] = sent["birth_date"].year
    return sent


def would_change(row: dict[str, Any], sent: dict[str, Any]) -> bool:
    """`update_member_in_tx`'s own comparison, to skip its queries for unchanged members."""
    proposed = {**row, **sent}
    if "tags" in sent:
        proposed["tags"] = sorted(set(sent["tags"]))
    if any(f in sent for f in SPLIT_ADDRESS) or (
        "address" in sent and not proposed.get("street_name")
    ):
        proposed["address"] = compose_address(proposed)
    return bool(changes(row, proposed, EDITABLE))


async def open_affiliations_in_tx(
    session: AsyncSession, member_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Organisations each member is affiliated to now or from a later date."""
    found: dict[uuid.UUID, set[uuid.UUID]] = {m: set() for m in member_ids}
    if not member_ids:
        return found
    rows = await session.execute(
        select(affiliations.c.member_id, affiliations.c.organisation_id).where(
            affiliations.c.member_id.in_(member_ids),
            affiliations.c.to_date.is_(None) | (affiliations.c.to_date >= date.today()),
        )
    )
    for r in rows:
        found[r.member_id].add(r.organisation_id)
    return found


async def update_existing_in_tx(
    session: AsyncSession,
    ctx: MemberContext,
    line: MemberLine,
    row: dict[str, Any],
    open_organisations: set[uuid.UUID],
) -> bool:
    """Bring an existing member in line with the file; True if anything changed."""
    changed = False
    sent = sent_values(line, ctx.header)
    if would_change(row, sent):
        updated = await update_member_in_tx(
            session,
            scope=ctx.scope,
            member_id=row["id"],
            request=MemberUpdate(**sent),
            actor=ctx.actor,
        )
        changed = updated["version"] != row["version"]
    if "status" in line.cells and line.request.status != row["status"]:
        await change_status_in_tx(
            session,
            scope=ctx.scope,
            member_id=row["id"],
            request=StatusChange(status=line.request.status, reason="import"),
            actor=ctx.actor,
        )
        changed = True
    if line.named is not None and line.named not in open_organisations:
        # Joins the branch the file names from today; other affiliations are left as they
        # are (ending one is a decision for the affiliations API, not for a file).
        await start_affiliation_in_tx(
            session,
            tenant=ctx.tenant,
            member_id=row["id"],
            organisation_id=line.named,
            from_date=date.today(),
            to_date=None,
            source="import",
            actor=ctx.actor,
        )
        changed = True
    return changed
