"""Who sees which figures: a caller sees what belongs to the organisations it acts for and to
every organisation beneath them (SPEC §2.6, scoped by subtree); the federation sees all.

Every figure belongs to exactly one organisation (a subscription to its own organisation, or
else its member's; a document to its own, or else its member's), so the figures of a parent's
subtree are the sums of its children's plus its own. Facts with no organisation are seen only
by callers acting for every organisation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.auth import Principal
from federa.shared.http.problems import Problem
from federa.statistics.storage.tables import organisations


@dataclass(frozen=True)
class Organisation:
    organisation_id: uuid.UUID
    name: str
    organisation_type: str
    parent_id: uuid.UUID | None
    ancestor_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class Tree:
    by_id: dict[uuid.UUID, Organisation] = field(default_factory=dict)

    def subtree(self, root: uuid.UUID) -> set[uuid.UUID]:
        return {root} | {o.organisation_id for o in self.by_id.values() if root in o.ancestor_ids}

    def nearest(self, org: uuid.UUID | None, kind: str) -> uuid.UUID | None:
        """The organisation itself or its closest ancestor of type `kind`."""
        if org is None or org not in self.by_id:
            return None
        node = self.by_id[org]
        for candidate in (node.organisation_id, *reversed(node.ancestor_ids)):
            found = self.by_id.get(candidate)
            if found is not None and found.organisation_type == kind:
                return candidate
        return None

    def name(self, org: uuid.UUID | None) -> str | None:
        return self.by_id[org].name if org in self.by_id else None


async def load_tree(session: AsyncSession, tenant: str) -> Tree:
    rows = await session.execute(select(organisations).where(organisations.c.tenant == tenant))
    return Tree(
        {
            r.organisation_id: Organisation(
                r.organisation_id,
                r.name,
                r.organisation_type,
                r.parent_id,
                tuple(r.ancestor_ids or ()),
            )
            for r in rows
        }
    )


@dataclass(frozen=True)
class Scope:
    tenant: str
    everything: bool
    organisation_ids: frozenset[uuid.UUID] = frozenset()

    def sql_orgs(self) -> list[uuid.UUID] | None:
        """The `ANY(:orgs)` parameter; None means no restriction."""
        return None if self.everything else sorted(self.organisation_ids)


def scope_of(principal: Principal, tree: Tree, within: uuid.UUID | None = None) -> Scope:
    """The caller's scope, optionally narrowed to one organisation's subtree (which must be
    inside it: asking for another branch's figures is a 403, not an empty answer)."""
    if principal.sees_all_organisations:
        scope = Scope(principal.tenant, True)
    else:
        ids: set[uuid.UUID] = set()
        for raw in principal.organisations:
            try:
                ids |= tree.subtree(uuid.UUID(raw))
            except ValueError:
                continue  # not an organisation id: grants nothing
        scope = Scope(principal.tenant, False, frozenset(ids))
    if within is None:
        return scope
    if not scope.everything and within not in scope.organisation_ids:
        raise Problem(
            403,
            "out-of-scope",
            "Organisation out of scope",
            f"Organisation {within} is not among those you act for or beneath them.",
        )
    return Scope(principal.tenant, False, frozenset(tree.subtree(within)))
