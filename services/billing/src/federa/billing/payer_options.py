"""Which payer accounts are offered for a member's subscriptions.

Decision: the member's own account, then its household's — members models a household as
secondary members linked to one primary member (`primary_member_id`), and the primary is the
household's designated payer — then the accounts of the organisations the member is affiliated
to (ancestors included), nearest first is not known here, so by account number. Only accounts
the caller may see are offered; a start or payer change with any other is refused as unknown.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.member_copy import load_member
from federa.billing.scope import Scope, visible_payer_accounts
from federa.billing.storage.tables import payer_accounts

Relation = Literal["own", "household", "organisation"]


async def payer_options(
    session: AsyncSession, scope: Scope, member_id: uuid.UUID
) -> list[tuple[Relation, dict[str, Any]]]:
    member = await load_member(session, scope, member_id)
    owners: list[tuple[Relation, Any]] = [("own", payer_accounts.c.owner_member_id == member_id)]
    if member["primary_member_id"] is not None:
        owners.append(
            ("household", payer_accounts.c.owner_member_id == member["primary_member_id"])
        )
    if member["organisation_ids"]:
        owners.append(
            (
                "organisation",
                payer_accounts.c.owner_organisation_id.in_(member["organisation_ids"]),
            )
        )
    found: list[tuple[Relation, dict[str, Any]]] = []
    for relation, owned in owners:
        rows = await session.execute(
            select(payer_accounts)
            .where(visible_payer_accounts(scope), owned)
            .order_by(payer_accounts.c.number)
        )
        found.extend((relation, dict(row)) for row in rows.mappings())
    return found
