"""Who sees what: a caller sees the members of the organisations it acts for and of every
organisation beneath them (SPEC §2.6, scoped by subtree). The one place the rule lives;
every member query goes through `visible_members`.

Decision: a member counts as belonging to a subtree if it has, or had, an affiliation to an
organisation in it — a branch keeps seeing the members who left it, for its history and its
leaving statistics. Members with no affiliation at all are visible only to callers who act
for every organisation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.storage.tables import affiliations, members, organisations
from federa.shared.auth import Principal


@dataclass(frozen=True)
class Scope:
    tenant: str
    everything: bool
    # Materialised paths of the organisations the caller acts for.
    paths: tuple[str, ...]

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)


async def scope_of(session: AsyncSession, principal: Principal) -> Scope:
    if principal.sees_all_organisations:
        return Scope(principal.tenant, True, ())
    ids = []
    for raw in principal.organisations:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue  # not one of ours: grants nothing
    if not ids:
        return Scope(principal.tenant, False, ())
    rows = await session.execute(
        select(organisations.c.path).where(
            organisations.c.tenant == principal.tenant, organisations.c.id.in_(ids)
        )
    )
    return Scope(principal.tenant, False, tuple(r.path for r in rows))


def organisation_in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    if not scope.paths:
        return false()
    return or_(*(organisations.c.path.startswith(p, autoescape=True) for p in scope.paths))


def visible_members(scope: Scope) -> ColumnElement[bool]:
    """WHERE clause on `members`: the caller's tenant and subtree."""
    in_tenant = members.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    if not scope.paths:
        return false()
    affiliated = exists(
        select(1)
        .select_from(
            affiliations.join(organisations, organisations.c.id == affiliations.c.organisation_id)
        )
        .where(and_(affiliations.c.member_id == members.c.id, organisation_in_scope(scope)))
    )
    return and_(in_tenant, affiliated)
