"""Who sees what (SPEC §2.6, scoped by organisation subtree; ARCHITECTURE "Every service
enforces this itself from its own copy of the tree"). The one place the rule lives.

A caller's scope is its organisations and every organisation beneath them in payments' copy
of the tree. Open items and balances are visible when the item's organisation (from billing's
document) is in scope. Payments, exceptions and refunds are visible when their payer's own
member belongs to an organisation in scope. Payment files, batches, setup and refund exports
are the federation's bank operations: only callers acting for every organisation see them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, cast, false, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from federa.payments.storage.tables import members, organisations, payer_accounts, receivables
from federa.shared.auth import Principal
from federa.shared.http.problems import Problem


@dataclass(frozen=True)
class Scope:
    tenant: str
    everything: bool
    organisation_ids: tuple[uuid.UUID, ...] = ()


async def scope_of(session: AsyncSession, principal: Principal) -> Scope:
    if principal.sees_all_organisations:
        return Scope(principal.tenant, True)
    own = []
    for raw in principal.organisations:
        try:
            own.append(uuid.UUID(raw))
        except ValueError:
            continue
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


def visible_items(scope: Scope) -> ColumnElement[bool]:
    in_tenant = receivables.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    if not scope.organisation_ids:
        return false()
    return and_(in_tenant, receivables.c.organisation_id.in_(scope.organisation_ids))


def visible_payers(scope: Scope) -> Select[tuple[uuid.UUID]]:
    """The payer accounts whose own member belongs to an organisation in scope."""
    query = select(payer_accounts.c.payer_account_id).where(payer_accounts.c.tenant == scope.tenant)
    if scope.everything:
        return query
    return query.join(members, members.c.member_id == payer_accounts.c.owner_member_id).where(
        members.c.organisation_id.in_(scope.organisation_ids) if scope.organisation_ids else false()
    )


def payer_visible(scope: Scope, column: ColumnElement[uuid.UUID | None]) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    return column.in_(visible_payers(scope))


def require_everything(scope: Scope) -> None:
    if not scope.everything:
        raise Problem(
            403,
            "federation-operation",
            "Not allowed for a branch",
            "Payment files, batches, setup and refund exports need a caller acting for every "
            "organisation.",
        )
