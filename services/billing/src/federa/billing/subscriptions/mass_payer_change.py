"""`MassChangePayer(from_payer → member's own payer, only_active, product filter)` (SPEC §2.2
rule 40).

The subscriptions the caller may see whose payer from their next charge is X are changed in
batches, one transaction each, so a change of thousands never holds one huge transaction; each
subscription is locked, changed by the rule of a single payer change and publishes its own
`billing.subscription.payer_changed`. A retry after a failure finds the changed ones paying
their member's own account already and continues with the rest; with an `Idempotency-Key` a
retry of a finished change returns its first result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.store import load_catalogue
from federa.billing.domain.errors import BillingRuleError
from federa.billing.domain.ids import PayerId
from federa.billing.domain.payer_replacement import pays_from_next_charge, replace_payer
from federa.billing.domain.subscription import LifecycleKind, SubscriptionStatus
from federa.billing.payer_accounts import visible_payer_account
from federa.billing.scope import Scope, visible_subscriptions
from federa.billing.storage.tables import (
    lifecycle_entries,
    mass_payer_changes,
    payer_accounts,
    subscriptions,
)
from federa.billing.subscriptions import events
from federa.billing.subscriptions.store import load_visible, save_new_version, status_on
from federa.shared.db import Database
from federa.shared.http.problems import Problem


@dataclass(frozen=True)
class MassPayerChange:
    payer_account_id: uuid.UUID
    only_active: bool = True
    products: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "payer_account_id": str(self.payer_account_id),
            "only_active": self.only_active,
            "products": sorted(self.products),
        }


@dataclass
class MassPayerChangeResult:
    payer_account_id: uuid.UUID
    changed: list[uuid.UUID] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "payer_account_id": str(self.payer_account_id),
            "changed": len(self.changed),
            "changed_subscription_ids": [str(i) for i in self.changed],
            "refused": self.refused,
        }


async def _candidates(
    session: AsyncSession,
    scope: Scope,
    change: MassPayerChange,
    *,
    today: date,
    after: int,
    size: int,
) -> list[uuid.UUID]:
    # Paying X now, or from a change dated ahead; which of them pay X from their next charge
    # the domain decides per subscription.
    changed_to_x = select(lifecycle_entries.c.subscription_id).where(
        lifecycle_entries.c.kind == LifecycleKind.PAYER_CHANGE.value,
        lifecycle_entries.c.new_value == str(change.payer_account_id),
    )
    query = select(subscriptions.c.id).where(
        visible_subscriptions(scope),
        subscriptions.c.subscription_no > after,
        or_(
            subscriptions.c.payer_account_id == change.payer_account_id,
            subscriptions.c.id.in_(changed_to_x),
        ),
        # A stopped subscription has no payer to change (rule 10); one not started yet is
        # refused by the rule when `only_active` asks for active ones, and so reported.
        status_on(today) != SubscriptionStatus.STOPPED.value,
    )
    if change.products:
        query = query.where(subscriptions.c.product.in_(change.products))
    rows = await session.execute(query.order_by(subscriptions.c.subscription_no).limit(size))
    return list(rows.scalars())


async def _own_payer(session: AsyncSession, tenant: str, member_id: uuid.UUID) -> PayerId | None:
    found = await session.execute(
        select(payer_accounts.c.id).where(
            payer_accounts.c.tenant == tenant, payer_accounts.c.owner_member_id == member_id
        )
    )
    account = found.scalar_one_or_none()
    return None if account is None else PayerId(account)


async def _change_batch_in_tx(
    session: AsyncSession,
    scope: Scope,
    change: MassPayerChange,
    result: MassPayerChangeResult,
    *,
    today: date,
    after: int,
    size: int,
    actor: str,
) -> int | None:
    """Change one batch; the last subscription number seen, or None when none is left."""
    batch = await _candidates(session, scope, change, today=today, after=after, size=size)
    if not batch:
        return None
    catalogue = (await load_catalogue(session, scope.tenant)).catalogue
    replaced = PayerId(change.payer_account_id)
    for subscription_id in batch:
        stored = await load_visible(session, scope, subscription_id, for_update=True)
        after = stored.state.subscription_no
        own_payer = await _own_payer(session, scope.tenant, stored.state.member_id)
        # X's own member's subscriptions already pay their own account: nothing to replace.
        if not pays_from_next_charge(stored.state, replaced) or own_payer == replaced:
            continue
        try:
            changed = replace_payer(
                stored.state,
                catalogue,
                own_payer=own_payer,
                today=today,
                only_active=change.only_active,
            )
        except BillingRuleError as refusal:
            result.refused.append(
                {
                    "subscription_id": str(stored.id),
                    "subscription_no": stored.state.subscription_no,
                    "type": refusal.code,
                    "detail": refusal.message,
                }
            )
            continue
        saved = await save_new_version(session, stored, changed.state, actor=actor)
        await events.record_payer_changed_in_tx(session, saved, changed)
        result.changed.append(saved.id)
    return after


async def _first_result(
    session: AsyncSession, scope: Scope, key: str, change: MassPayerChange
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(mass_payer_changes).where(
                    mass_payer_changes.c.tenant == scope.tenant,
                    mass_payer_changes.c.idempotency_key == key,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    if row["request"] != change.as_json():
        raise Problem(
            422,
            "idempotency-key-reused",
            "Invalid request",
            f"Idempotency-Key {key!r} was used for another mass payer change.",
        )
    first: dict[str, Any] = row["result"]
    return first


async def change_payers(
    db: Database,
    scope: Scope,
    change: MassPayerChange,
    *,
    actor: str,
    idempotency_key: str | None = None,
    batch_size: int = 100,
) -> dict[str, Any]:
    today = date.today()
    async with db.transaction() as session:
        await visible_payer_account(session, scope, change.payer_account_id)
        if idempotency_key is not None:
            first = await _first_result(session, scope, idempotency_key, change)
            if first is not None:
                return first
    result = MassPayerChangeResult(change.payer_account_id)
    after: int | None = 0
    while after is not None:
        async with db.transaction() as session:
            after = await _change_batch_in_tx(
                session,
                scope,
                change,
                result,
                today=today,
                after=after,
                size=batch_size,
                actor=actor,
            )
    outcome = result.as_json()
    if idempotency_key is not None:
        async with db.transaction() as session:
            await session.execute(
                insert(mass_payer_changes)
                .values(
                    tenant=scope.tenant,
                    idempotency_key=idempotency_key,
                    payer_account_id=change.payer_account_id,
                    request=change.as_json(),
                    result=outcome,
                    created_by=actor,
                )
                .on_conflict_do_nothing()
            )
    return outcome
