"""Registering a member (SPEC §2.1 `RegisterMember`, flow F1 step 1)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.affiliations import (
    organisations_for_address_in_tx,
    start_affiliation_in_tx,
    start_office_in_tx,
)
from federa.members.domain.addresses import StreetAddress
from federa.members.duplicates import probable_duplicates_in_tx, search_keys, spellings_in_tx
from federa.members.http.schemas import MemberCreate
from federa.members.member_store import (
    next_member_number_in_tx,
    now,
    record_member_event_in_tx,
    write_history_in_tx,
)
from federa.members.scope import Scope
from federa.members.storage.tables import members, organisations
from federa.members.tenancy import ensure_tenant_in_tx, require_codes_in_tx
from federa.shared.auth import Principal
from federa.shared.contracts.members import MEMBER_REGISTERED
from federa.shared.http.problems import Problem


def compose_address(fields: dict[str, Any]) -> str | None:
    if fields.get("street_name"):
        return StreetAddress(
            fields["street_name"],
            fields.get("street_no"),
            fields.get("street_letter"),
            fields.get("floor"),
            fields.get("floor_side"),
        ).one_line()
    address = fields.get("address")
    return str(address) if address else None


async def _organisation_path(session: AsyncSession, tenant: str, org_id: uuid.UUID) -> str:
    path = (
        await session.execute(
            select(organisations.c.path).where(
                organisations.c.tenant == tenant, organisations.c.id == org_id
            )
        )
    ).scalar_one_or_none()
    if path is None:
        raise Problem(
            422,
            "unknown-organisation",
            "Unknown organisation",
            f"No organisation {org_id}.",
            errors=[{"field": "organisation_id", "message": "unknown organisation"}],
        )
    return str(path)


async def _assigned_organisations(
    session: AsyncSession,
    request: MemberCreate,
    principal: Principal,
    scope: Scope,
    fields: dict[str, Any],
    assign_by_user: bool,
    by_postcode: bool,
    by_municipality: bool,
) -> list[tuple[uuid.UUID, str]]:
    """(organisation, source) pairs: the named one, the user's own, and the geographic ones."""
    chosen: list[tuple[uuid.UUID, str]] = []
    if request.organisation_id is not None:
        path = await _organisation_path(session, principal.tenant, request.organisation_id)
        if not scope.covers_path(path):
            raise Problem(
                403,
                "organisation-out-of-scope",
                "Not your organisation",
                "You may register members only in organisations you act for.",
            )
        chosen.append((request.organisation_id, "manual"))
    elif assign_by_user and not scope.everything and len(principal.organisations) == 1:
        own = uuid.UUID(next(iter(principal.organisations)))
        await _organisation_path(session, principal.tenant, own)
        chosen.append((own, "user"))
    for org_id, kind in await organisations_for_address_in_tx(
        session,
        tenant=principal.tenant,
        postcode=fields.get("postcode"),
        municipality_code=fields.get("municipality_code"),
        by_postcode=by_postcode,
        by_municipality=by_municipality,
    ):
        if org_id not in {c for c, _ in chosen}:
            chosen.append((org_id, kind))
    if not scope.everything and not chosen:
        raise Problem(
            422,
            "organisation-required",
            "Organisation required",
            "Name the organisation the member joins.",
            errors=[{"field": "organisation_id", "message": "required"}],
        )
    return chosen


async def register_member_in_tx(
    session: AsyncSession, *, request: MemberCreate, principal: Principal, scope: Scope
) -> dict[str, Any]:
    tenant = principal.tenant
    settings = await ensure_tenant_in_tx(session, tenant)
    await require_codes_in_tx(
        session,
        tenant,
        {
            "status": ("status", request.status),
            "category": ("category", request.category),
        },
    )
    fields = request.model_dump(exclude={"confirm_duplicate", "organisation_id"})
    fields["country_code"] = request.country_code or settings.default_country
    fields["address"] = compose_address(fields)
    fields["tags"] = sorted(set(request.tags or []))
    fields["correspondence_channel"] = request.correspondence_channel or "email"
    fields["address_sync_disabled"] = bool(request.address_sync_disabled)
    if request.birth_date is not None and request.birth_year is None:
        fields["birth_year"] = request.birth_date.year
    keys = search_keys(request.name, await spellings_in_tx(session, tenant))

    if settings.duplicate_check and not request.confirm_duplicate:
        candidates = await probable_duplicates_in_tx(
            session,
            tenant=tenant,
            phonetic_name=keys["phonetic_name"],
            street_name=request.street_name,
            street_no=request.street_no,
            address=fields["address"],
            postcode=request.postcode,
        )
        if candidates:
            raise Problem(
                409,
                "probable-duplicate",
                "Probable duplicate",
                "Members with a similar name live at this address. Open one of them, or send "
                "the request again with confirm_duplicate=true.",
                candidates=[{**c, "id": str(c["id"])} for c in candidates],
            )

    assigned = await _assigned_organisations(
        session,
        request,
        principal,
        scope,
        fields,
        settings.assign_by_user,
        settings.assign_by_postcode,
        settings.assign_by_municipality,
    )
    if request.external_id:
        taken = await session.execute(
            select(members.c.id).where(
                members.c.tenant == tenant, members.c.external_id == request.external_id
            )
        )
        if taken.one_or_none() is not None:
            raise Problem(
                409,
                "external-id-taken",
                "External id in use",
                f"Another member has external id {request.external_id!r}.",
            )
    stamp = now()
    row: dict[str, Any] = {
        **fields,
        **keys,
        "id": uuid.uuid4(),
        "tenant": tenant,
        "member_number": await next_member_number_in_tx(session, tenant),
        "enrolment_date": request.enrolment_date or date.today(),
        "organisation_id": assigned[0][0] if assigned else None,
        "party_kind": request.party_kind.value,
        "version": 1,
        "created_at": stamp,
        "created_by": principal.subject,
        "updated_at": stamp,
        "updated_by": principal.subject,
    }
    row = dict(
        (await session.execute(insert(members).values(**row).returning(members))).mappings().one()
    )
    await write_history_in_tx(
        session, row, action="registered", changes={}, actor=principal.subject
    )
    for org_id, source in assigned:
        await start_affiliation_in_tx(
            session,
            tenant=tenant,
            member_id=row["id"],
            organisation_id=org_id,
            from_date=row["enrolment_date"],
            to_date=None,
            source=source,
            actor=principal.subject,
        )
    if settings.create_default_office and settings.default_office_type and assigned:
        await start_office_in_tx(
            session,
            tenant=tenant,
            member_id=row["id"],
            organisation_id=assigned[0][0],
            office_type=settings.default_office_type,
            from_date=row["enrolment_date"],
            to_date=None,
            note=None,
            actor=principal.subject,
        )
    await record_member_event_in_tx(
        session, MEMBER_REGISTERED, row, registered_at=stamp, registered_by=principal.subject
    )
    return row
