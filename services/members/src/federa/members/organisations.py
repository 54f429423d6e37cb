"""The organisation tree: federation → regions → branches → sections (types are the tenant's)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.affiliations import (
    ANCESTOR,
    insert_affiliation_in_tx,
    rederive_ancestors_in_tx,
)
from federa.members.domain.tree import ancestor_ids, moving_creates_loop, path_of, reparented
from federa.members.member_store import now
from federa.members.scope import Scope, organisation_in_scope
from federa.members.storage.tables import affiliations, organisation_areas, organisations
from federa.members.tenancy import ensure_tenant_in_tx, require_codes_in_tx
from federa.shared.contracts.members import (
    ORGANISATION_CREATED,
    ORGANISATION_MOVED,
    ORGANISATION_UPDATED,
    OrganisationMovedV1,
    OrganisationStateV1,
)
from federa.shared.contracts.registry import EventSpec
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

_NEXT_NUMBER = text(
    """
    INSERT INTO organisation_numbers (tenant, last_number) VALUES (:tenant, 1)
    ON CONFLICT (tenant) DO UPDATE SET last_number = organisation_numbers.last_number + 1
    RETURNING last_number
    """
)
CONTACT_FIELDS = (
    "name",
    "name_2",
    "email",
    "phone",
    "address",
    "postcode",
    "city",
    "country_code",
    "organisation_type",
)


def not_found(organisation_id: uuid.UUID) -> Problem:
    return Problem(
        404,
        "organisation-not-found",
        "Organisation not found",
        f"No organisation {organisation_id}.",
    )


async def load_organisation(
    session: AsyncSession, scope: Scope, organisation_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any]:
    query = select(organisations).where(
        organisations.c.tenant == scope.tenant,
        organisations.c.id == organisation_id,
        organisation_in_scope(scope),
    )
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise not_found(organisation_id)
    return dict(row)


async def areas_of(session: AsyncSession, organisation_id: uuid.UUID) -> dict[str, list[str]]:
    rows = await session.execute(
        select(organisation_areas.c.kind, organisation_areas.c.code)
        .where(organisation_areas.c.organisation_id == organisation_id)
        .order_by(organisation_areas.c.code)
    )
    areas: dict[str, list[str]] = {"postcode": [], "municipality": []}
    for r in rows:
        areas[r.kind].append(r.code)
    return areas


async def _publish(
    session: AsyncSession, spec: EventSpec[Any], row: dict[str, Any], **extra: Any
) -> None:
    areas = await areas_of(session, row["id"])
    model = OrganisationMovedV1 if spec is ORGANISATION_MOVED else OrganisationStateV1
    data = model(
        organisation_id=row["id"],
        organisation_number=row["organisation_number"],
        ancestor_ids=ancestor_ids(row["path"]),
        parent_id=row["parent_id"],
        postcodes=areas["postcode"],
        municipality_codes=areas["municipality"],
        **{f: row[f] for f in CONTACT_FIELDS},
        **extra,
    )
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


async def create_organisation_in_tx(
    session: AsyncSession, *, scope: Scope, values: dict[str, Any], parent_id: uuid.UUID | None
) -> dict[str, Any]:
    tenant = scope.tenant
    settings = await ensure_tenant_in_tx(session, tenant)
    await require_codes_in_tx(
        session, tenant, {"organisation_type": ("organisation_type", values["organisation_type"])}
    )
    parent_path = None
    if parent_id is not None:
        parent_path = (await load_organisation(session, scope, parent_id))["path"]
    elif not scope.everything:
        raise Problem(
            403,
            "root-needs-federation-scope",
            "Not allowed",
            "Only a caller acting for the whole federation may create a root.",
        )
    new_id = uuid.uuid4()
    stamp = now()
    row = {
        **values,
        "country_code": values.get("country_code") or settings.default_country,
        "id": new_id,
        "tenant": tenant,
        "parent_id": parent_id,
        "organisation_number": (
            await session.execute(_NEXT_NUMBER, {"tenant": tenant})
        ).scalar_one(),
        "path": path_of(parent_path, new_id),
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    await session.execute(insert(organisations).values(**row))
    await _publish(session, ORGANISATION_CREATED, row)
    return row


async def update_organisation_in_tx(
    session: AsyncSession, *, scope: Scope, organisation_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any]:
    row = await load_organisation(session, scope, organisation_id, for_update=True)
    if "organisation_type" in values:
        await require_codes_in_tx(
            session,
            scope.tenant,
            {"organisation_type": ("organisation_type", values["organisation_type"])},
        )
    changed = {k: v for k, v in values.items() if row.get(k) != v}
    if not changed:
        return row
    row.update(changed, version=row["version"] + 1, updated_at=now())
    await session.execute(
        update(organisations)
        .where(organisations.c.id == organisation_id)
        .values(**changed, version=row["version"], updated_at=row["updated_at"])
    )
    await _publish(session, ORGANISATION_UPDATED, row)
    return row


async def set_areas_in_tx(
    session: AsyncSession,
    *,
    scope: Scope,
    organisation_id: uuid.UUID,
    postcodes: list[str],
    municipalities: list[str],
) -> dict[str, Any]:
    row = await load_organisation(session, scope, organisation_id, for_update=True)
    await session.execute(
        delete(organisation_areas).where(organisation_areas.c.organisation_id == organisation_id)
    )
    areas = [("postcode", p) for p in sorted(set(postcodes))]
    areas += [("municipality", m) for m in sorted(set(municipalities))]
    if areas:
        await session.execute(
            insert(organisation_areas).values(
                [
                    {
                        "tenant": scope.tenant,
                        "organisation_id": organisation_id,
                        "kind": k,
                        "code": c,
                    }
                    for k, c in areas
                ]
            )
        )
    row.update(version=row["version"] + 1, updated_at=now())
    await session.execute(
        update(organisations)
        .where(organisations.c.id == organisation_id)
        .values(version=row["version"], updated_at=row["updated_at"])
    )
    await _publish(session, ORGANISATION_UPDATED, row)
    return row


async def move_organisation_in_tx(
    session: AsyncSession,
    *,
    scope: Scope,
    organisation_id: uuid.UUID,
    new_parent_id: uuid.UUID,
    actor: str,
) -> dict[str, Any]:
    """Move a subtree under another parent; members' ancestor affiliations follow."""
    row = await load_organisation(session, scope, organisation_id, for_update=True)
    if row["parent_id"] is None and not scope.everything:
        raise Problem(403, "forbidden", "Not allowed", "Only the federation may move a root.")
    parent = await load_organisation(session, scope, new_parent_id)
    if moving_creates_loop(row["path"], parent["path"]):
        raise Problem(
            409,
            "organisation-loop",
            "Would create a loop",
            "An organisation cannot move beneath itself or its own descendants.",
            errors=[{"field": "parent_id", "message": "inside the moved subtree"}],
        )
    if row["parent_id"] == new_parent_id:
        return row
    old_prefix = row["path"]
    new_prefix = path_of(parent["path"], organisation_id)
    subtree = (
        (
            await session.execute(
                select(organisations)
                .where(
                    organisations.c.tenant == scope.tenant,
                    organisations.c.path.startswith(old_prefix, autoescape=True),
                )
                .order_by(func.length(organisations.c.path))
                .with_for_update()
            )
        )
        .mappings()
        .all()
    )
    stamp = now()
    moved: dict[str, Any] = {}
    for org in subtree:
        new_path = reparented(org["path"], old_prefix, new_prefix)
        changes: dict[str, Any] = {
            "path": new_path,
            "version": org["version"] + 1,
            "updated_at": stamp,
        }
        if org["id"] == organisation_id:
            changes["parent_id"] = new_parent_id
        await session.execute(
            update(organisations).where(organisations.c.id == org["id"]).values(**changes)
        )
        current = {**dict(org), **changes}
        if org["id"] == organisation_id:
            moved = current
            await _publish(
                session, ORGANISATION_MOVED, current, previous_parent_id=row["parent_id"]
            )
        else:
            await _publish(session, ORGANISATION_UPDATED, current)
    await _rederive_after_move_in_tx(session, scope.tenant, new_prefix, actor)
    return moved


async def _rederive_after_move_in_tx(
    session: AsyncSession, tenant: str, subtree_path: str, actor: str
) -> None:
    """Members of the moved subtree: ancestor affiliations the new tree no longer implies end
    today, the ones it now implies start today (both hold on the day of the move)."""
    today = date.today()
    bases = (
        await session.execute(
            select(affiliations.c.id, affiliations.c.member_id, organisations.c.path)
            .join(organisations, organisations.c.id == affiliations.c.organisation_id)
            .where(
                affiliations.c.tenant == tenant,
                affiliations.c.source != ANCESTOR,
                organisations.c.path.startswith(subtree_path, autoescape=True),
                (affiliations.c.to_date.is_(None)) | (affiliations.c.to_date >= today),
            )
        )
    ).all()
    for member_id in sorted({b.member_id for b in bases}):
        await rederive_ancestors_in_tx(session, member_id, today)
    # One read of what the affected members hold now, instead of a query per ancestor.
    open_links = await session.execute(
        select(affiliations.c.member_id, affiliations.c.organisation_id).where(
            affiliations.c.member_id.in_({b.member_id for b in bases}),
            (affiliations.c.to_date.is_(None)) | (affiliations.c.to_date >= today),
        )
    )
    held = {(r.member_id, r.organisation_id) for r in open_links}
    for base in bases:
        for ancestor in ancestor_ids(base.path):
            if (base.member_id, ancestor) not in held:
                await _derive_one_in_tx(
                    session, tenant, base.member_id, ancestor, base.id, today, actor
                )
                held.add((base.member_id, ancestor))


async def _derive_one_in_tx(
    session: AsyncSession,
    tenant: str,
    member_id: uuid.UUID,
    organisation_id: uuid.UUID,
    derived_from: uuid.UUID,
    from_date: date,
    actor: str,
) -> None:
    await insert_affiliation_in_tx(
        session,
        {
            "tenant": tenant,
            "member_id": member_id,
            "organisation_id": organisation_id,
            "from_date": from_date,
            "to_date": None,
            "source": ANCESTOR,
            "derived_from": derived_from,
            "created_by": actor,
        },
    )


async def list_organisations(
    session: AsyncSession,
    *,
    scope: Scope,
    parent_id: uuid.UUID | None,
    organisation_type: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where = [organisations.c.tenant == scope.tenant, organisation_in_scope(scope)]
    if parent_id is not None:
        where.append(organisations.c.parent_id == parent_id)
    if organisation_type is not None:
        where.append(organisations.c.organisation_type == organisation_type)
    total = (
        await session.execute(select(func.count()).select_from(organisations).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(organisations)
        .where(*where)
        .order_by(organisations.c.path)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)
