"""GDPR: everything held about a member (access, Art. 15) and erasure (Art. 17).

Erasure pseudonymises rather than deletes: invoices, payments and settlements in other
services refer to the member's id and number, which accounting law makes us keep, so the row
stays with what is not personal. Kept: id, number, tenant, party kind, country, category,
status, enrolment and leaving (dates and reason), organisation and affiliations, value units,
gift amount, correspondence channel and `external_id` (so a re-import recognises the record
and does not bring the person back). Cleared: name (→ "Erased member <number>"), name_2,
every address field but the country, e-mail, phone, mobile, birth date, birth year, gender,
tags, search keys. Birth year and gender go too: accounting needs neither, and with the number,
dates and branch they narrow a person down; aggregates already computed are not affected.

History keeps every entry and the names of the fields that changed, but the values of personal
fields (and free-text reasons, and household links) are dropped. Household links end, office
notes and alternative addresses are removed. `member.updated` with the pseudonymised state and
`member.erased` tell every other service to scrub its copy. Erasing twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.history import changes
from federa.members.domain.household import ADDRESS_FIELDS
from federa.members.households import dissolve_in_tx, load_in_tenant
from federa.members.member_store import (
    load_visible,
    now,
    record_member_event_in_tx,
    save_new_version_in_tx,
    write_history_in_tx,
)
from federa.members.scope import Scope
from federa.members.storage.tables import (
    affiliations,
    alternative_addresses,
    member_history,
    members,
    offices,
)
from federa.shared.contracts.members import MEMBER_ERASED, MEMBER_UPDATED, MemberErasedV1
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

PERSONAL_FIELDS = (
    "name",
    "name_2",
    *(f for f in ADDRESS_FIELDS if f != "country_code"),
    "email",
    "phone",
    "mobile",
    "birth_date",
    "birth_year",
    "gender",
    "tags",
)
# History values dropped on erasure: personal fields, free text, who the member lived with.
REDACTED_IN_HISTORY = frozenset((*PERSONAL_FIELDS, "reason", "primary_member_id"))
REDACTED = {"from": None, "to": None, "erased": True}


def erased_name(member_number: int) -> str:
    return f"Erased member {member_number}"


def pseudonymised(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values that replace a member's personal data."""
    values: dict[str, Any] = dict.fromkeys(PERSONAL_FIELDS)
    values["name"] = erased_name(row["member_number"])
    values["tags"] = []
    values["search_name"] = ""
    values["phonetic_name"] = ""
    return values


def redact(entry: Mapping[str, Any], fields: Iterable[str] = REDACTED_IN_HISTORY) -> dict[str, Any]:
    """A history entry's changes with the values of `fields` dropped, their names kept."""
    dropped = set(fields)
    return {f: (dict(REDACTED) if f in dropped else change) for f, change in entry.items()}


def redact_value(entry: Mapping[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A history entry's changes with `value` dropped wherever `field` went from or to it."""
    result = dict(entry)
    change = result.get(field)
    if isinstance(change, Mapping) and value in (change.get("from"), change.get("to")):
        result[field] = dict(REDACTED)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _rows(result: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in result.mappings()]


async def _of_member(
    session: AsyncSession, table: Table, member_id: uuid.UUID, *order: Any
) -> list[dict[str, Any]]:
    return _rows(
        await session.execute(select(table).where(table.c.member_id == member_id).order_by(*order))
    )


async def export_in_tx(session: AsyncSession, scope: Scope, member_id: uuid.UUID) -> dict[str, Any]:
    """Everything held about the member, as JSON-ready data."""
    member = await load_visible(session, scope, member_id)
    secondaries = await session.execute(
        select(members.c.id, members.c.member_number)
        .where(members.c.primary_member_id == member_id)
        .order_by(members.c.member_number)
    )
    primary = None
    if member["primary_member_id"] is not None:
        head = await load_in_tenant(session, member["tenant"], member["primary_member_id"])
        if head is not None:
            primary = {"id": str(head["id"]), "member_number": head["member_number"]}
    return {
        "exported_at": now().isoformat(),
        "member": {k: _plain(v) for k, v in member.items()},
        "history": await _of_member(session, member_history, member_id, member_history.c.version),
        "affiliations": await _of_member(
            session, affiliations, member_id, affiliations.c.from_date, affiliations.c.created_at
        ),
        "offices": await _of_member(
            session, offices, member_id, offices.c.from_date, offices.c.created_at
        ),
        "alternative_addresses": await _of_member(
            session, alternative_addresses, member_id, alternative_addresses.c.created_at
        ),
        # Other members are named by id and number only: their data is theirs.
        "household": {
            "primary_member": primary,
            "secondary_members": [
                {"id": str(r.id), "member_number": r.member_number} for r in secondaries
            ],
        },
        "import_references": {"external_id": member["external_id"]},
    }


async def _redact_history_in_tx(session: AsyncSession, member_id: uuid.UUID) -> None:
    entries = await session.execute(
        select(member_history.c.version, member_history.c.changes).where(
            member_history.c.member_id == member_id
        )
    )
    for version, entry in entries.all():
        redacted = redact(entry)
        if redacted != entry:
            await session.execute(
                update(member_history)
                .where(member_history.c.member_id == member_id, member_history.c.version == version)
                .values(changes=redacted)
            )


async def _redact_name_elsewhere_in_tx(
    session: AsyncSession, member_ids: Iterable[uuid.UUID], name: str
) -> None:
    """Name propagation copied the name into household members' `name_2`; drop it there."""
    ids = list(member_ids)
    if not ids:
        return
    entries = await session.execute(
        select(
            member_history.c.member_id, member_history.c.version, member_history.c.changes
        ).where(member_history.c.member_id.in_(ids))
    )
    for member_id, version, entry in entries.all():
        redacted = redact_value(entry, "name_2", name)
        if redacted != entry:
            await session.execute(
                update(member_history)
                .where(member_history.c.member_id == member_id, member_history.c.version == version)
                .values(changes=redacted)
            )


async def _lock_for_erasure(
    session: AsyncSession, scope: Scope, member_id: uuid.UUID
) -> dict[str, Any]:
    # The household's primary first, then the member: the order linking and address
    # propagation lock in, so erasure never waits on them crosswise.
    seen = await load_visible(session, scope, member_id)
    if seen["primary_member_id"] is not None and seen["erased_at"] is None:
        await load_in_tenant(session, seen["tenant"], seen["primary_member_id"], for_update=True)
    return await load_visible(session, scope, member_id, for_update=True)


async def erase_in_tx(
    session: AsyncSession, *, scope: Scope, member_id: uuid.UUID, reason: str, actor: str
) -> dict[str, Any]:
    """Pseudonymise the member (see the module's docstring); returns its row."""
    row = await _lock_for_erasure(session, scope, member_id)
    if row["erased_at"] is not None:
        return row
    household = [row["primary_member_id"]] if row["primary_member_id"] else []
    household += [
        r.id
        for r in await session.execute(
            select(members.c.id).where(members.c.primary_member_id == member_id)
        )
    ]
    row = await dissolve_in_tx(session, row, actor)
    stamp = now()
    values = {**pseudonymised(row), "erased_at": stamp}
    diff = changes(row, {**row, **values}, PERSONAL_FIELDS)
    erased = await save_new_version_in_tx(session, row, values, actor)
    await _redact_history_in_tx(session, member_id)
    await _redact_name_elsewhere_in_tx(session, household, row["name"])
    await session.execute(
        delete(alternative_addresses).where(alternative_addresses.c.member_id == member_id)
    )
    await session.execute(update(offices).where(offices.c.member_id == member_id).values(note=None))
    await write_history_in_tx(
        session,
        erased,
        action="erased",
        changes={
            **{f: {**REDACTED, "to": _plain(erased[f])} for f in diff},
            "erased_at": {"from": None, "to": stamp.isoformat()},
            "erasure_reason": {"from": None, "to": reason},
        },
        actor=actor,
    )
    await record_member_event_in_tx(
        session,
        MEMBER_UPDATED,
        erased,
        changed_fields=sorted(diff),
        updated_at=erased["updated_at"],
        updated_by=actor,
    )
    data = MemberErasedV1(
        member_id=member_id,
        member_number=erased["member_number"],
        erased_at=stamp,
        erased_by=actor,
    )
    await record_event_in_tx(
        session,
        new_event(
            MEMBER_ERASED,
            data,
            subject=str(member_id),
            tenant=erased["tenant"],
            aggregate_version=erased["version"],
        ),
    )
    return erased
