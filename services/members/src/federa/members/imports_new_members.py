"""The rows and events of newly imported members, built in memory for the bulk insert.

They are what registration (`register_member_in_tx`) writes for each member, minus the
duplicate check: the member row with its search keys, the base affiliations and one derived
affiliation per ancestor not already covered, the default office if the tenant wants one, a
history entry (action `imported`), and the events in registration's order per member:
affiliation.started (base, then its ancestors), office.started, member.registered with the
whole state.

Built in two steps so that most of the work happens before the chunk's transaction (while the
previous chunk is being written): everything but the member number first, then the numbers
and the member.registered events once the block of numbers is drawn. Pure: no I/O, so both
steps run in a worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from federa.members.affiliations import ANCESTOR, affiliation_event, office_event
from federa.members.domain.tree import ancestor_ids
from federa.members.duplicates import search_keys
from federa.members.imports_bulk import OutboxWriter
from federa.members.imports_members import MemberContext, MemberLine
from federa.members.member_store import STATE_FIELDS
from federa.members.registration import compose_address
from federa.shared.contracts.members import (
    MEMBER_REGISTERED,
    MemberRegisteredV1,
)
from federa.shared.envelope import CloudEvent, new_event


@dataclass
class NewMember:
    """One member's rows and its events but member.registered, built before its number is
    known (the number is drawn inside the chunk's transaction)."""

    row: dict[str, Any]
    links: list[dict[str, Any]]
    office: dict[str, Any] | None
    history: dict[str, Any]
    events: list[dict[str, Any]]
    # Built and validated with a stand-in number; `numbered` puts the drawn one in.
    registered: CloudEvent

    def numbered(self, number: int) -> tuple[dict[str, Any], CloudEvent]:
        data = {**self.registered.data, "member_number": number}
        return (
            {**self.row, "member_number": number},
            self.registered.model_copy(update={"data": data}),
        )


@dataclass
class NewMembers:
    members: list[dict[str, Any]] = field(default_factory=list)
    affiliations: list[dict[str, Any]] = field(default_factory=list)
    offices: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)


ENUM_FIELDS = ("party_kind", "gender", "correspondence_channel")
NUMBER_PENDING = 1


def member_row(
    line: MemberLine, ctx: MemberContext, stamp: datetime, today: date
) -> dict[str, Any]:
    """The row registration would insert, without its member number yet."""
    request = line.request
    fields = request.model_dump(exclude={"confirm_duplicate", "organisation_id"})
    for name in ENUM_FIELDS:
        if isinstance(fields[name], Enum):
            fields[name] = fields[name].value
    fields["country_code"] = request.country_code or ctx.settings.default_country
    fields["address"] = compose_address(fields)
    fields["tags"] = sorted(set(request.tags or []))
    fields["correspondence_channel"] = fields["correspondence_channel"] or "email"
    fields["address_sync_disabled"] = bool(request.address_sync_disabled)
    if request.birth_date is not None and request.birth_year is None:
        fields["birth_year"] = request.birth_date.year
    return {
        **fields,
        **search_keys(request.name, ctx.spellings),
        "id": uuid.uuid4(),
        "tenant": ctx.tenant,
        "member_number": NUMBER_PENDING,
        "enrolment_date": request.enrolment_date or today,
        "organisation_id": line.assigned[0][0] if line.assigned else None,
        "version": 1,
        "created_at": stamp,
        "created_by": ctx.actor,
        "updated_at": stamp,
        "updated_by": ctx.actor,
    }


def _affiliation(
    row: Mapping[str, Any],
    org_id: uuid.UUID,
    source: str,
    stamp: datetime,
    derived_from: uuid.UUID | None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant": row["tenant"],
        "member_id": row["id"],
        "organisation_id": org_id,
        "from_date": row["enrolment_date"],
        "to_date": None,
        "source": source,
        "derived_from": derived_from,
        "version": 1,
        "created_at": stamp,
        "created_by": row["created_by"],
    }


def affiliation_rows(
    row: Mapping[str, Any], line: MemberLine, ctx: MemberContext, stamp: datetime
) -> list[dict[str, Any]]:
    """Base affiliations, each followed by its ancestors not yet covered (as
    `start_affiliation_in_tx` derives them one base after another)."""
    created: list[dict[str, Any]] = []
    covered: set[uuid.UUID] = set()
    for org_id, source in line.assigned:
        base = _affiliation(row, org_id, source, stamp, None)
        created.append(base)
        for ancestor in ancestor_ids(ctx.orgs.by_id[org_id]["path"]):
            if ancestor not in covered:
                created.append(_affiliation(row, ancestor, ANCESTOR, stamp, base["id"]))
        covered.update(a["organisation_id"] for a in created)
    return created


def _office(
    row: Mapping[str, Any], org_id: uuid.UUID, office_type: str, stamp: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant": row["tenant"],
        "member_id": row["id"],
        "organisation_id": org_id,
        "office_type": office_type,
        "from_date": row["enrolment_date"],
        "to_date": None,
        "note": None,
        "version": 1,
        "created_at": stamp,
        "created_by": row["created_by"],
    }


def _registered_event(
    row: Mapping[str, Any], links: Sequence[Mapping[str, Any]], today: date
) -> CloudEvent:
    state = {f: row[f] for f in STATE_FIELDS if f in row}
    state["member_id"] = row["id"]
    # As `state_of` reads them back: affiliations active today, each organisation once.
    state["organisation_ids"] = sorted(
        {a["organisation_id"] for a in links if a["from_date"] <= today}
    )
    data = MemberRegisteredV1(
        **state, registered_at=row["created_at"], registered_by=row["created_by"]
    )
    return new_event(
        MEMBER_REGISTERED, data, subject=str(row["id"]), tenant=row["tenant"], aggregate_version=1
    )


def prepare_new_members(
    lines: Sequence[MemberLine], ctx: MemberContext, stamp: datetime, outbox: OutboxWriter
) -> dict[str, NewMember]:
    """By external id: everything of each new member that does not need its number."""
    today = date.today()  # the server's day, as registration and `state_of` take it
    settings = ctx.settings
    prepared = {}
    for line in lines:
        row = member_row(line, ctx, stamp, today)
        links = affiliation_rows(row, line, ctx, stamp)
        events = [outbox.row(affiliation_event(a)) for a in links]
        office = None
        if settings.create_default_office and settings.default_office_type and line.assigned:
            office = _office(row, line.assigned[0][0], settings.default_office_type, stamp)
            events.append(outbox.row(office_event(office)))
        history = {
            "member_id": row["id"],
            "version": 1,
            "tenant": row["tenant"],
            "action": "imported",
            "changes": {},
            "changed_at": stamp,
            "changed_by": ctx.actor,
        }
        registered = _registered_event(row, links, today)
        prepared[line.external_id] = NewMember(row, links, office, history, events, registered)
    return prepared


def number_new_members(
    new: Sequence[NewMember],
    numbers: Sequence[int],
    outbox: OutboxWriter,
    rekey_with: Mapping[str, str] | None = None,
) -> NewMembers:
    """Give each member its number and its member.registered event, after its other events
    as registration records them; `rekey_with`: spellings that replaced the ones the search
    keys were built with."""
    batch = NewMembers()
    for member, number in zip(new, numbers, strict=True):
        row, registered = member.numbered(number)
        if rekey_with is not None:
            row.update(search_keys(row["name"], rekey_with))
        batch.members.append(row)
        batch.affiliations += member.links
        if member.office is not None:
            batch.offices.append(member.office)
        batch.history.append(member.history)
        batch.outbox += member.events
        batch.outbox.append(outbox.row(registered))
    return batch
