"""Each organisation's grant profile: billing-owned facts the grant rules need that the
members service does not keep (the area in km² for per-km² grants), beside the type billing's
organisation copy has from `members.organisation.*`."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.scope import Scope
from federa.billing.storage.grant_tables import organisation_grant_profiles
from federa.billing.storage.tables import organisations
from federa.shared.http.problems import Problem

Row = dict[str, Any]


async def grant_profile(session: AsyncSession, scope: Scope, organisation_id: uuid.UUID) -> Row:
    """The organisation's type and area; 404 for an organisation billing does not know or the
    caller does not act for (as every other organisation-scoped read)."""
    o, p = organisations.c, organisation_grant_profiles.c
    row = (
        (
            await session.execute(
                select(
                    o.organisation_id,
                    o.name,
                    o.organisation_type,
                    p.area_km2,
                    func.coalesce(p.version, 0).label("version"),
                    p.updated_at,
                    p.updated_by,
                )
                .outerjoin(organisation_grant_profiles, p.organisation_id == o.organisation_id)
                .where(o.organisation_id == organisation_id, o.tenant == scope.tenant)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None or not (scope.everything or organisation_id in scope.organisation_ids):
        raise Problem(
            404,
            "organisation-not-found",
            "Not found",
            f"No organisation {organisation_id} in billing's copy of your organisations.",
        )
    return dict(row)


async def save_grant_profile_in_tx(
    session: AsyncSession,
    scope: Scope,
    organisation_id: uuid.UUID,
    area_km2: Decimal | None,
    *,
    actor: str,
) -> Row:
    await grant_profile(session, scope, organisation_id)
    statement = insert(organisation_grant_profiles).values(
        organisation_id=organisation_id,
        tenant=scope.tenant,
        area_km2=area_km2,
        version=1,
        updated_by=actor,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[organisation_grant_profiles.c.organisation_id],
            set_={
                "area_km2": statement.excluded.area_km2,
                "updated_by": statement.excluded.updated_by,
                "updated_at": func.now(),
                "version": organisation_grant_profiles.c.version + 1,
            },
        )
    )
    return await grant_profile(session, scope, organisation_id)
