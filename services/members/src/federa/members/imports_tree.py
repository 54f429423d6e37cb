"""The tenant's organisation tree as an import sees it: organisations by id, by number and by
name path (`Federation/North/Oslo`, the names from the root down, joined by `/`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.tree import self_and_ancestors
from federa.members.storage.tables import organisation_areas, organisations

SEPARATOR = "/"


def name_path(parts: list[str]) -> str:
    return SEPARATOR.join(p.strip() for p in parts)


def normalise_name_path(value: str) -> str:
    return name_path(value.split(SEPARATOR))


@dataclass
class OrgIndex:
    by_id: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    by_number: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_name_path: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Organisations covering a postcode or municipality (SPEC §2.1 rule 7), by (kind, code).
    areas: dict[tuple[str, str], list[uuid.UUID]] = field(default_factory=dict)
    areas_of: dict[uuid.UUID, dict[str, list[str]]] = field(default_factory=dict)

    def name_path_of(self, org: dict[str, Any]) -> str:
        ids = self_and_ancestors(org["path"])
        return name_path([self.by_id[i]["name"] for i in ids if i in self.by_id])


async def load_org_index(session: AsyncSession, tenant: str) -> OrgIndex:
    index = OrgIndex()
    rows = await session.execute(select(organisations).where(organisations.c.tenant == tenant))
    for r in rows.mappings():
        org = dict(r)
        index.by_id[org["id"]] = org
        index.by_number[org["organisation_number"]] = org
    by_name_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for org in index.by_id.values():
        by_name_path[index.name_path_of(org)].append(org)
    index.by_name_path = dict(by_name_path)
    areas = await session.execute(
        select(
            organisation_areas.c.organisation_id,
            organisation_areas.c.kind,
            organisation_areas.c.code,
        )
        .where(organisation_areas.c.tenant == tenant)
        .order_by(organisation_areas.c.organisation_id, organisation_areas.c.code)
    )
    by_area: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
    for a in areas:
        by_area[(a.kind, a.code)].append(a.organisation_id)
        own = index.areas_of.setdefault(a.organisation_id, {"postcode": [], "municipality": []})
        own[a.kind].append(a.code)
    index.areas = dict(by_area)
    return index
