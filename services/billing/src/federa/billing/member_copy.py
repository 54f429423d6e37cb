"""Reading billing's copy of a member: whether the caller may see it, and the facts pricing and
the start rules need (SPEC §2.2 rules 1, 17-22)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.ids import MemberId
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.subscription import SubscriptionStatus
from federa.billing.scope import Scope, visible_members
from federa.billing.storage.tables import members, subscriptions
from federa.billing.subscriptions.store import status_on
from federa.shared.http.problems import Problem


async def load_member(session: AsyncSession, scope: Scope, member_id: uuid.UUID) -> dict[str, Any]:
    """The member's copy if the caller may see it. 404 otherwise, also when billing has not
    heard of the member yet (its events are still on their way)."""
    row = (
        (
            await session.execute(
                select(members).where(members.c.member_id == member_id, visible_members(scope))
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "member-not-found", "Member not found", f"Billing knows no member {member_id}."
        )
    return dict(row)


async def member_facts(session: AsyncSession, member: dict[str, Any], today: date) -> MemberFacts:
    """Decision: for the prerequisite rule (rule 1) a product counts as active on the member
    when its subscription is active today or starts later (status new): a new member's
    membership often starts on the 1st of next month, and its magazine must be startable with
    it."""
    products = await session.execute(
        select(subscriptions.c.product)
        .where(
            subscriptions.c.tenant == member["tenant"],
            subscriptions.c.member_id == member["member_id"],
            subscriptions.c.deleted_at.is_(None),
            status_on(today) != SubscriptionStatus.STOPPED.value,
        )
        .distinct()
    )
    return MemberFacts(
        member_id=MemberId(member["member_id"]),
        birth_date=member["birth_date"],
        value_units=member["value_units"],
        gift_amount=member["gift_amount"] or 0,
        country_code=member["country_code"],
        postcode=member["postcode"],
        active_products=frozenset(row.product for row in products),
    )
