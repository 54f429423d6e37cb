"""Payer accounts (SPEC §2.2 *Payer account*, *Debitor*): who is invoiced.

A member's own account is created the first time billing hears of the member (SPEC §3 F1 step
3; rule 2: "if payer is blank the system creates a payer account from the member") and becomes
the member's default payer. Its name and address follow the member's later events, and an
erased member's account is scrubbed with the member.

Decision: the account is created from whichever member event billing sees first, not only from
`member.registered`, so a reordered or replayed stream still gives every member an account.

Organisations get theirs the same way, from whichever `members.organisation.*` event comes
first (SPEC §2.1 rule 6: payer records are made from members *or organisations* and follow
them), so an organisation can pay for its members' subscriptions. A household has no account
of its own: members models it as secondaries linked to a primary member, and the primary's own
account is the one offered to the secondaries (`payer_options`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.scope import Scope, visible_payer_accounts
from federa.billing.storage.tables import members, payer_accounts
from federa.billing.tenancy import ensure_tenant_in_tx, next_number_in_tx
from federa.shared.contracts.billing import (
    PAYER_ACCOUNT_CREATED,
    PAYER_ACCOUNT_UPDATED,
    PayerAccountStateV1,
)
from federa.shared.contracts.members import MemberErasedV1, MemberState, OrganisationStateV1
from federa.shared.contracts.registry import EventSpec
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

# The member's fields an account copies: what an invoice is addressed with.
SYNCED = ("name", "name_2", "address", "address_2", "postcode", "city", "country_code", "email")


async def visible_payer_account(
    session: AsyncSession, scope: Scope, payer_account_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any]:
    """The payer account as the caller sees it. One it cannot see is refused like an unknown
    one (404): a branch cannot bill another branch's member or organisation, nor learn that the
    account exists."""
    query = select(payer_accounts).where(
        payer_accounts.c.id == payer_account_id, visible_payer_accounts(scope)
    )
    if for_update:
        query = query.with_for_update(of=payer_accounts)
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise Problem(
            404,
            "payer-account-not-found",
            "Payer account not found",
            f"No payer account {payer_account_id}.",
        )
    return dict(row)


async def own_account_in_tx(
    session: AsyncSession, tenant: str, member_id: uuid.UUID
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(payer_accounts)
                .where(
                    payer_accounts.c.tenant == tenant,
                    payer_accounts.c.owner_member_id == member_id,
                )
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def keep_own_account_in_tx(session: AsyncSession, tenant: str, member: MemberState) -> None:
    """Create the member's own account, or sync its name and address; publish what changed."""
    values = {field: getattr(member, field) for field in SYNCED}
    account = await own_account_in_tx(session, tenant, member.member_id)
    if account is None:
        await ensure_tenant_in_tx(session, tenant)
        stamp = datetime.now(UTC)
        account = {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "number": await next_number_in_tx(session, tenant, "payer_account"),
            "owner_member_id": member.member_id,
            **values,
            "version": 1,
            "created_at": stamp,
            "updated_at": stamp,
        }
        await session.execute(insert(payer_accounts).values(**account))
        await session.execute(
            update(members)
            .where(members.c.member_id == member.member_id)
            .values(default_payer_account_id=account["id"])
        )
        await _publish(session, PAYER_ACCOUNT_CREATED, account)
        return
    await _save_changes(session, account, values)


async def keep_organisation_account_in_tx(
    session: AsyncSession, tenant: str, organisation: OrganisationStateV1
) -> None:
    """Create the organisation's own account, or sync its name and address."""
    values = {
        "name": organisation.name,
        "name_2": organisation.name_2,
        "address": organisation.address,
        "address_2": None,
        "postcode": organisation.postcode,
        "city": organisation.city,
        "country_code": organisation.country_code,
        "email": organisation.email,
    }
    account = (
        (
            await session.execute(
                select(payer_accounts)
                .where(
                    payer_accounts.c.tenant == tenant,
                    payer_accounts.c.owner_organisation_id == organisation.organisation_id,
                )
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if account is not None:
        await _save_changes(session, dict(account), values)
        return
    await ensure_tenant_in_tx(session, tenant)
    stamp = datetime.now(UTC)
    created = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "number": await next_number_in_tx(session, tenant, "payer_account"),
        "owner_organisation_id": organisation.organisation_id,
        **values,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    await session.execute(insert(payer_accounts).values(**created))
    await _publish(session, PAYER_ACCOUNT_CREATED, created)


async def scrub_own_account_in_tx(
    session: AsyncSession, tenant: str, erased: MemberErasedV1
) -> None:
    """After `member.erased` the account keeps its number (documents refer to it), not the
    person's name or address."""
    account = await own_account_in_tx(session, tenant, erased.member_id)
    if account is None:
        return
    scrubbed: dict[str, Any] = dict.fromkeys(SYNCED)
    scrubbed.update(
        name=f"Erased member {erased.member_number}", country_code=account["country_code"]
    )
    await _save_changes(session, account, scrubbed)


async def _save_changes(
    session: AsyncSession, account: dict[str, Any], values: dict[str, Any]
) -> None:
    changed = {k: v for k, v in values.items() if account[k] != v}
    if not changed:
        return
    changed.update(version=account["version"] + 1, updated_at=datetime.now(UTC))
    await session.execute(
        update(payer_accounts).where(payer_accounts.c.id == account["id"]).values(**changed)
    )
    await _publish(session, PAYER_ACCOUNT_UPDATED, {**account, **changed})


async def _publish(
    session: AsyncSession, spec: EventSpec[PayerAccountStateV1], account: dict[str, Any]
) -> None:
    data = PayerAccountStateV1(
        payer_account_id=account["id"],
        number=account["number"],
        owner_member_id=account.get("owner_member_id"),
        owner_organisation_id=account.get("owner_organisation_id"),
        **{field: account[field] for field in SYNCED},
    )
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(account["id"]),
            tenant=account["tenant"],
            aggregate_version=account["version"],
        ),
    )
