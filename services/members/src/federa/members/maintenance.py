"""Changing a member: data, address (passed on to a household's secondaries), status, leaving."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.affiliations import end_all_in_tx
from federa.members.domain.history import changes
from federa.members.domain.household import ADDRESS_FIELDS
from federa.members.duplicates import search_keys, spellings_in_tx
from federa.members.households import pass_address_to_secondaries_in_tx, pass_name_change_in_tx
from federa.members.http.schemas import Leave, MemberUpdate, StatusChange
from federa.members.member_store import (
    load_visible,
    record_address_changed_in_tx,
    record_member_event_in_tx,
    save_new_version_in_tx,
    write_history_in_tx,
)
from federa.members.registration import compose_address
from federa.members.scope import Scope
from federa.members.storage.tables import members
from federa.members.tenancy import require_codes_in_tx
from federa.shared.contracts.members import (
    MEMBER_LEFT,
    MEMBER_STATUS_CHANGED,
    MEMBER_UPDATED,
)
from federa.shared.http.problems import Problem

EDITABLE = (
    "name",
    "name_2",
    "party_kind",
    "street_name",
    "street_no",
    "street_letter",
    "floor",
    "floor_side",
    "address",
    "address_2",
    "postcode",
    "city",
    "country_code",
    "municipality_code",
    "region_code",
    "email",
    "phone",
    "mobile",
    "birth_date",
    "birth_year",
    "gender",
    "category",
    "enrolment_date",
    "value_units",
    "gift_amount",
    "correspondence_channel",
    "tags",
    "address_sync_disabled",
)
SPLIT_ADDRESS = ("street_name", "street_no", "street_letter", "floor", "floor_side")


def _refused_if_erased(row: dict[str, Any]) -> None:
    if row.get("erased_at") is not None:
        raise Problem(
            409,
            "member-erased",
            "Member erased",
            "The member's personal data was erased; it cannot be changed.",
        )


async def update_member_in_tx(
    session: AsyncSession, *, scope: Scope, member_id: Any, request: MemberUpdate, actor: str
) -> dict[str, Any]:
    sent = request.model_dump(exclude_unset=True)
    # The spelling table's lock before the member's row lock: the order a change of the
    # table takes them in, so a rename racing it cannot deadlock.
    spellings = await spellings_in_tx(session, scope.tenant) if sent.get("name") else {}
    row = await load_visible(session, scope, member_id, for_update=True)
    _refused_if_erased(row)
    for field in (
        "name",
        "party_kind",
        "country_code",
        "enrolment_date",
        "tags",
        "correspondence_channel",
        "address_sync_disabled",
    ):
        if field in sent and sent[field] is None:
            raise Problem(
                422,
                "validation-error",
                "Invalid request",
                f"{field} cannot be null",
                errors=[{"field": field, "message": "cannot be null"}],
            )
    await require_codes_in_tx(
        session, row["tenant"], {"category": ("category", sent.get("category"))}
    )
    proposed = {**row, **sent}
    if "tags" in sent:
        proposed["tags"] = sorted(set(sent["tags"]))
    if any(f in sent for f in SPLIT_ADDRESS) or (
        "address" in sent and not proposed.get("street_name")
    ):
        proposed["address"] = compose_address(proposed)
    if "name" in sent:
        proposed.update(search_keys(sent["name"], spellings))
    diff = changes(row, proposed, EDITABLE)
    if not diff:
        return row
    values = {field: proposed[field] for field in diff}
    if "name" in diff:
        values.update(search_name=proposed["search_name"], phonetic_name=proposed["phonetic_name"])
    updated = await save_new_version_in_tx(session, row, values, actor)
    await write_history_in_tx(session, updated, action="updated", changes=diff, actor=actor)
    await record_member_event_in_tx(
        session,
        MEMBER_UPDATED,
        updated,
        changed_fields=sorted(diff),
        updated_at=updated["updated_at"],
        updated_by=actor,
    )
    if "name" in diff:
        await pass_name_change_in_tx(session, updated, row["name"], actor)
    address_diff = {f: c for f, c in diff.items() if f in ADDRESS_FIELDS}
    if address_diff:
        updated = await record_address_changed_in_tx(
            session, updated, address_diff, actor, propagated_from=None, effective_date=date.today()
        )
        await pass_address_to_secondaries_in_tx(
            session, updated, actor, effective_date=date.today()
        )
    return updated


async def change_status_in_tx(
    session: AsyncSession,
    *,
    scope: Scope | None,
    member_id: Any,
    request: StatusChange,
    actor: str,
    tenant: str | None = None,
) -> dict[str, Any]:
    row = await _load(session, scope, member_id, tenant)
    _refused_if_erased(row)
    await require_codes_in_tx(session, row["tenant"], {"status": ("status", request.status)})
    if row["status"] == request.status:
        return row
    updated = await save_new_version_in_tx(session, row, {"status": request.status}, actor)
    await write_history_in_tx(
        session,
        updated,
        action="status_changed",
        changes={
            "status": {"from": row["status"], "to": request.status},
            **({"reason": {"from": None, "to": request.reason}} if request.reason else {}),
        },
        actor=actor,
    )
    await record_member_event_in_tx(
        session,
        MEMBER_STATUS_CHANGED,
        updated,
        previous_status=row["status"],
        reason=request.reason,
        changed_at=updated["updated_at"],
        changed_by=actor,
    )
    return updated


async def leave_in_tx(
    session: AsyncSession,
    *,
    scope: Scope | None,
    member_id: Any,
    request: Leave,
    actor: str,
    tenant: str | None = None,
) -> dict[str, Any]:
    row = await _load(session, scope, member_id, tenant)
    _refused_if_erased(row)
    await require_codes_in_tx(
        session,
        row["tenant"],
        {
            "leaving_reason": ("leaving_reason", request.leaving_reason),
            "status": ("status", request.status),
        },
    )
    if request.leaving_date < row["enrolment_date"]:
        raise Problem(
            422,
            "invalid-period",
            "Leaves before joining",
            "The leaving date is before the enrolment date.",
            errors=[{"field": "leaving_date", "message": "before enrolment_date"}],
        )
    values = {
        "leaving_reason": request.leaving_reason,
        "leaving_date": request.leaving_date,
        "status": request.status,
    }
    diff = changes(row, {**row, **values}, values)
    if not diff:
        return row
    if request.end_affiliations_and_offices:
        await end_all_in_tx(
            session, tenant=row["tenant"], member_id=row["id"], to_date=request.leaving_date
        )
    updated = await save_new_version_in_tx(session, row, values, actor)
    await write_history_in_tx(session, updated, action="left", changes=diff, actor=actor)
    await record_member_event_in_tx(
        session, MEMBER_LEFT, updated, changed_at=updated["updated_at"], changed_by=actor
    )
    return updated


async def _load(
    session: AsyncSession, scope: Scope | None, member_id: Any, tenant: str | None
) -> dict[str, Any]:
    """By the caller's scope, or (for events from other services) by tenant alone."""
    if scope is not None:
        return await load_visible(session, scope, member_id, for_update=True)
    row = (
        (
            await session.execute(
                select(members)
                .where(members.c.id == member_id, members.c.tenant == tenant)
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise LookupError(f"no member {member_id} in tenant {tenant}")
    return dict(row)
