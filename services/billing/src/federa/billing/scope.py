"""Who sees which members' billing: a caller sees the subscriptions and payer accounts of the
members affiliated to the organisations it acts for or to any organisation beneath them
(SPEC §2.6, scoped by subtree; ARCHITECTURE "Every service enforces this itself from its own
copy of the tree"). The one place the rule lives; every query of subscriptions goes through
`visible_subscriptions`.

Decision: billing keeps a copy of the organisation tree (`members.organisation.*`, each
organisation with its ancestors) and of each member's current affiliations (`organisation_ids`
in every member event, ancestors included). A caller's scope is its organisations and every
organisation whose ancestors include one of them; a member is in scope when its
`organisation_ids` overlap that set. The overlap with the caller's own ids alone would already
cover a subtree, because members lists ancestor affiliations; the tree copy keeps a moved
branch's members visible to their new region before their next member event. Members with no
affiliation, and accounts of no member, are visible only to callers acting for every
organisation. Unlike members, billing sees current affiliations only: a branch stops seeing the
subscriptions of a member who left it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, cast, false, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from federa.billing.storage.tables import members, organisations, payer_accounts, subscriptions
from federa.shared.auth import Principal


@dataclass(frozen=True)
class Scope:
    tenant: str
    everything: bool
    # The caller's organisations and every organisation beneath them.
    organisation_ids: tuple[uuid.UUID, ...] = ()


async def scope_of(session: AsyncSession, principal: Principal) -> Scope:
    if principal.sees_all_organisations:
        return Scope(principal.tenant, True)
    own = []
    for raw in principal.organisations:
        try:
            own.append(uuid.UUID(raw))
        except ValueError:
            continue  # not an organisation id: grants nothing
    if not own:
        return Scope(principal.tenant, False)
    wanted = cast(literal(own, ARRAY(Uuid)), ARRAY(Uuid))
    beneath = await session.execute(
        select(organisations.c.organisation_id).where(
            organisations.c.tenant == principal.tenant,
            organisations.c.ancestor_ids.overlap(wanted),
        )
    )
    ids = {*own, *(row.organisation_id for row in beneath)}
    return Scope(principal.tenant, False, tuple(sorted(ids)))


def visible_members(scope: Scope) -> ColumnElement[bool]:
    """WHERE clause on `members`: the caller's tenant and subtree."""
    in_tenant = members.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    if not scope.organisation_ids:
        return false()
    ids = cast(literal(list(scope.organisation_ids), ARRAY(Uuid)), ARRAY(Uuid))
    return and_(in_tenant, members.c.organisation_ids.overlap(ids))


def visible_subscriptions(scope: Scope) -> ColumnElement[bool]:
    """WHERE clause on `subscriptions`: not deleted, in the tenant, of a visible member."""
    alive = and_(subscriptions.c.tenant == scope.tenant, subscriptions.c.deleted_at.is_(None))
    if scope.everything:
        return alive
    return and_(
        alive,
        subscriptions.c.member_id.in_(select(members.c.member_id).where(visible_members(scope))),
    )


def visible_payer_accounts(scope: Scope) -> ColumnElement[bool]:
    """WHERE clause on `payer_accounts`: in the tenant, owned by a visible member or by an
    organisation in the caller's subtree."""
    in_tenant = payer_accounts.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    return and_(
        in_tenant,
        or_(
            payer_accounts.c.owner_member_id.in_(
                select(members.c.member_id).where(visible_members(scope))
            ),
            payer_accounts.c.owner_organisation_id.in_(scope.organisation_ids),
        ),
    )
