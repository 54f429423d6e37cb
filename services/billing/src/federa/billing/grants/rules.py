"""The tenant's allocation-grant rules (*Rådighedsberegningsopsætning*): read, and saved as a
new version with its revision (the audit trail) and `billing.allocation_grant_rules.updated`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.allocation_grants import GrantRules
from federa.billing.storage.grant_tables import (
    allocation_grant_rule_revisions,
    allocation_grant_rules,
)
from federa.shared.contracts.billing import (
    ALLOCATION_GRANT_RULES_UPDATED,
    AllocationGrantRulesUpdatedV1,
)
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

DEFAULT_MEMBER_STATUSES = ("active",)
RULE_FIELDS = tuple(f.name for f in fields(GrantRules))


@dataclass(frozen=True)
class StoredRules:
    rules: GrantRules
    member_statuses: tuple[str, ...] = DEFAULT_MEMBER_STATUSES
    # 0: never saved (the defaults, every parameter blank).
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self.rules), "member_statuses": list(self.member_statuses)}


async def rules_of(session: AsyncSession, tenant: str, *, for_update: bool = False) -> StoredRules:
    query = select(allocation_grant_rules).where(allocation_grant_rules.c.tenant == tenant)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        return StoredRules(GrantRules())
    return StoredRules(
        rules=GrantRules(**{name: row[name] for name in RULE_FIELDS}),
        member_statuses=tuple(row["member_statuses"]),
        version=row["version"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


async def save_rules_in_tx(
    session: AsyncSession,
    tenant: str,
    rules: GrantRules,
    member_statuses: tuple[str, ...],
    *,
    actor: str,
) -> StoredRules:
    """Checks and saves the rules as the next version; a save that changes nothing writes
    and publishes nothing (as billing's settings)."""
    rules.check()
    before = await rules_of(session, tenant, for_update=True)
    changed = rules.changed_fields(before.rules)
    if tuple(member_statuses) != before.member_statuses:
        changed.append("member_statuses")
    if before.version and not changed:
        return before
    version = before.version + 1
    values = {**asdict(rules), "member_statuses": list(member_statuses)}
    if before.version:
        await session.execute(
            update(allocation_grant_rules)
            .where(allocation_grant_rules.c.tenant == tenant)
            .values(**values, version=version, updated_by=actor, updated_at=func.now())
        )
    else:
        await session.execute(
            insert(allocation_grant_rules).values(
                tenant=tenant, **values, version=version, updated_by=actor
            )
        )
    await session.execute(
        insert(allocation_grant_rule_revisions).values(
            tenant=tenant, version=version, rules=values, changed_fields=changed, changed_by=actor
        )
    )
    await record_event_in_tx(
        session,
        new_event(
            ALLOCATION_GRANT_RULES_UPDATED,
            AllocationGrantRulesUpdatedV1(**values, changed_fields=changed),
            subject=tenant,
            tenant=tenant,
            aggregate_version=version,
        ),
    )
    return await rules_of(session, tenant)


async def revisions_of(
    session: AsyncSession, tenant: str, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(allocation_grant_rule_revisions)
        .where(allocation_grant_rule_revisions.c.tenant == tenant)
        .order_by(allocation_grant_rule_revisions.c.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()]
