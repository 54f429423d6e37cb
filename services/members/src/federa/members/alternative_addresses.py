"""Alternative addresses and their promotion to primary (SPEC §2.1 rule 9).

An alternative address may carry `primary_from`: from that day it is the member's address.
Promotion copies its address lines onto the member (the split street fields and the
municipality and region codes are cleared: an alternative address holds the address as one
line), publishes `member.updated` and `member.address_changed` (`propagated_from` = the
alternative address, `effective_date` = its `primary_from`), passes the address on to the
household's secondaries, and marks the row promoted. The address it replaces is kept as a new
alternative address of the tenant's primary-default address type (no `primary_from`), so
the former address is still found by search and a temporary move is undone by dating it.

The job locks members, not addresses: a batch claims members with due addresses
`FOR UPDATE SKIP LOCKED` in id order, so replicas running it at once share the work, and one
member's due addresses are applied by one transaction in date order.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.household import ADDRESS_FIELDS
from federa.members.households import (
    load_in_tenant,
    pass_address_to_secondaries_in_tx,
    take_address_in_tx,
)
from federa.members.member_store import load_visible, now
from federa.members.scope import Scope
from federa.members.storage.tables import alternative_addresses, members, reference_codes
from federa.members.tenancy import require_codes_in_tx
from federa.shared.contracts.members import (
    ALTERNATIVE_ADDRESS_ADDED,
    ALTERNATIVE_ADDRESS_REMOVED,
    AlternativeAddressV1,
)
from federa.shared.daily import daily
from federa.shared.db import Database
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

log = logging.getLogger(__name__)

JOB_ACTOR = "job:promote-addresses"
# One line of an alternative address becomes the member's `address`; these have no place in it.
CLEARED_ON_PROMOTION = tuple(
    f
    for f in ADDRESS_FIELDS
    if f not in ("address", "address_2", "postcode", "city", "country_code")
)


def promoted_values(address: Mapping[str, Any]) -> dict[str, Any]:
    """The member's address fields once `address` is its primary address."""
    values: dict[str, Any] = dict.fromkeys(CLEARED_ON_PROMOTION)
    for f in ("address", "address_2", "postcode", "city", "country_code"):
        values[f] = address[f]
    return values


async def _next_address_no_in_tx(session: AsyncSession, member_id: uuid.UUID) -> int:
    """The member's next address number; the caller holds the member's row lock."""
    no = await session.execute(
        update(members)
        .where(members.c.id == member_id)
        .values(last_address_no=members.c.last_address_no + 1)
        .returning(members.c.last_address_no)
    )
    return int(no.scalar_one())


async def _publish_in_tx(
    session: AsyncSession, row: Mapping[str, Any], actor: str, *, removed: bool = False
) -> None:
    """An address is added once and removed at most once: its versions are 1 and 2."""
    data = AlternativeAddressV1(
        address_id=row["id"],
        member_id=row["member_id"],
        address_no=row["address_no"],
        address_type=row["address_type"],
        name=row["name"],
        name_2=row["name_2"],
        address=row["address"],
        address_2=row["address_2"],
        postcode=row["postcode"],
        city=row["city"],
        country_code=row["country_code"],
        primary_from=row["primary_from"],
        at=now(),
        by=actor,
    )
    await record_event_in_tx(
        session,
        new_event(
            ALTERNATIVE_ADDRESS_REMOVED if removed else ALTERNATIVE_ADDRESS_ADDED,
            data,
            subject=str(row["id"]),
            tenant=row["tenant"],
            aggregate_version=2 if removed else 1,
        ),
    )


def _refuse_erased(row: Mapping[str, Any]) -> None:
    if row["erased_at"] is not None:
        raise Problem(
            409, "member-erased", "Member erased", "The member's personal data was erased."
        )


async def list_in_tx(
    session: AsyncSession, scope: Scope, member_id: uuid.UUID
) -> list[dict[str, Any]]:
    await load_visible(session, scope, member_id)
    rows = await session.execute(
        select(alternative_addresses)
        .where(alternative_addresses.c.member_id == member_id)
        .order_by(
            alternative_addresses.c.primary_from.nulls_last(),
            alternative_addresses.c.created_at,
        )
    )
    return [dict(r) for r in rows.mappings()]


async def add_in_tx(
    session: AsyncSession,
    *,
    scope: Scope,
    member_id: uuid.UUID,
    fields: Mapping[str, Any],
    actor: str,
    today: date,
) -> dict[str, Any]:
    """Add an alternative address; one dated today or earlier is promoted at once."""
    member = await load_visible(session, scope, member_id, for_update=True)
    _refuse_erased(member)
    await require_codes_in_tx(
        session, member["tenant"], {"address_type": ("address_type", fields["address_type"])}
    )
    row = {
        **fields,
        "id": uuid.uuid4(),
        "tenant": member["tenant"],
        "member_id": member_id,
        "country_code": fields.get("country_code") or member["country_code"],
        "address_no": await _next_address_no_in_tx(session, member_id),
        "created_at": now(),
        "created_by": actor,
    }
    await session.execute(insert(alternative_addresses).values(**row))
    found = await session.execute(
        select(alternative_addresses).where(alternative_addresses.c.id == row["id"])
    )
    added = dict(found.mappings().one())
    await _publish_in_tx(session, added, actor)
    if row.get("primary_from") is not None and row["primary_from"] <= today:
        await _promote_member_in_tx(session, member, today, actor)
        found = await session.execute(
            select(alternative_addresses).where(alternative_addresses.c.id == row["id"])
        )
        added = dict(found.mappings().one())
    return added


async def remove_in_tx(
    session: AsyncSession,
    *,
    scope: Scope,
    member_id: uuid.UUID,
    address_id: uuid.UUID,
    actor: str = "api",
) -> None:
    """Remove an alternative address that has not become the primary address."""
    await load_visible(session, scope, member_id, for_update=True)
    row = (
        (
            await session.execute(
                select(alternative_addresses).where(
                    alternative_addresses.c.id == address_id,
                    alternative_addresses.c.member_id == member_id,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "address-not-found", "Not found", f"No alternative address {address_id}."
        )
    if row["promoted_at"] is not None:
        raise Problem(
            409,
            "address-promoted",
            "Already the primary address",
            "It became the member's address; it stays as a record of that.",
        )
    await session.execute(
        delete(alternative_addresses).where(alternative_addresses.c.id == address_id)
    )
    await _publish_in_tx(session, dict(row), actor, removed=True)


async def _primary_address_type(session: AsyncSession, tenant: str, fallback: str) -> str:
    code = (
        await session.execute(
            select(reference_codes.c.code)
            .where(
                reference_codes.c.tenant == tenant,
                reference_codes.c.kind == "address_type",
                reference_codes.c.active,
                reference_codes.c.attributes["primary_default"].as_boolean(),
            )
            .order_by(reference_codes.c.code)
            .limit(1)
        )
    ).scalar_one_or_none()
    return str(code) if code is not None else fallback


async def _keep_replaced_address_in_tx(
    session: AsyncSession, member: Mapping[str, Any], promoted: Mapping[str, Any], actor: str
) -> None:
    if not member["address"]:
        return
    already = await session.execute(
        select(alternative_addresses.c.id).where(
            alternative_addresses.c.member_id == member["id"],
            alternative_addresses.c.promoted_at.is_(None),
            alternative_addresses.c.address == member["address"],
            alternative_addresses.c.postcode.is_not_distinct_from(member["postcode"]),
            alternative_addresses.c.country_code == member["country_code"],
        )
    )
    if already.first() is not None:
        return
    kept_id = uuid.uuid4()
    await session.execute(
        insert(alternative_addresses).values(
            id=kept_id,
            tenant=member["tenant"],
            member_id=member["id"],
            address_no=await _next_address_no_in_tx(session, member["id"]),
            address_type=await _primary_address_type(
                session, member["tenant"], promoted["address_type"]
            ),
            address=member["address"],
            address_2=member["address_2"],
            postcode=member["postcode"],
            city=member["city"],
            country_code=member["country_code"],
            created_at=now(),
            created_by=actor,
        )
    )
    kept = await session.execute(
        select(alternative_addresses).where(alternative_addresses.c.id == kept_id)
    )
    await _publish_in_tx(session, dict(kept.mappings().one()), actor)


async def _promote_member_in_tx(
    session: AsyncSession, member: dict[str, Any], on: date, actor: str
) -> int:
    """Apply a locked member's due alternative addresses, oldest first; returns how many."""
    due = [
        dict(r)
        for r in (
            await session.execute(
                select(alternative_addresses)
                .where(
                    alternative_addresses.c.member_id == member["id"],
                    alternative_addresses.c.promoted_at.is_(None),
                    alternative_addresses.c.primary_from <= on,
                )
                .order_by(alternative_addresses.c.primary_from, alternative_addresses.c.created_at)
                .with_for_update()
            )
        ).mappings()
    ]
    for address in due:
        values = promoted_values(address)
        moved = {f: values[f] for f in ADDRESS_FIELDS if values[f] != member[f]}
        if moved:
            await _keep_replaced_address_in_tx(session, member, address, actor)
            member = await take_address_in_tx(
                session,
                member,
                values,
                actor,
                propagated_from=address["id"],
                effective_date=address["primary_from"],
            )
            await pass_address_to_secondaries_in_tx(
                session, member, actor, effective_date=address["primary_from"]
            )
        await session.execute(
            update(alternative_addresses)
            .where(alternative_addresses.c.id == address["id"])
            .values(promoted_at=now())
        )
    return len(due)


@dataclass
class PromotionRun:
    on: date
    members: int = 0
    promoted: int = 0
    failed: list[uuid.UUID] = field(default_factory=list)


async def _claim_batch(
    session: AsyncSession, on: date, tenant: str | None, after: uuid.UUID | None, size: int
) -> list[tuple[uuid.UUID, str]]:
    """Lock the next members (in id order) with due addresses that nobody else holds."""
    due = select(alternative_addresses.c.member_id).where(
        alternative_addresses.c.promoted_at.is_(None),
        alternative_addresses.c.primary_from <= on,
    )
    query = select(members.c.id, members.c.tenant).where(members.c.erased_at.is_(None))
    if tenant is not None:
        due = due.where(alternative_addresses.c.tenant == tenant)
        query = query.where(members.c.tenant == tenant)
    if after is not None:
        query = query.where(members.c.id > after)
    rows = await session.execute(
        query.where(members.c.id.in_(due))
        .order_by(members.c.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    return [(r.id, r.tenant) for r in rows]


async def promote_due_addresses(
    db: Database,
    on: date,
    tenant: str | None = None,
    *,
    batch_size: int = 100,
    actor: str = JOB_ACTOR,
) -> PromotionRun:
    """Promote every alternative address due on `on` (one tenant, or all). Idempotent.

    Each batch is a transaction; a member whose promotion fails is rolled back to a savepoint,
    logged and left for the next run. Members locked by another replica (or a request) at the
    moment are skipped: whoever holds them is working on them, or the next run takes them."""
    run = PromotionRun(on)
    after: uuid.UUID | None = None
    while True:
        async with db.transaction() as session:
            batch = await _claim_batch(session, on, tenant, after, batch_size)
            if not batch:
                return run
            for member_id, member_tenant in batch:
                try:
                    async with session.begin_nested():
                        row = await load_in_tenant(session, member_tenant, member_id)
                        if row is None:
                            continue
                        count = await _promote_member_in_tx(session, row, on, actor)
                except Exception:
                    log.exception("promoting the addresses of member %s failed", member_id)
                    run.failed.append(member_id)
                    continue
                run.members += 1
                run.promoted += count
            after = batch[-1][0]


async def _promote_today(db: Database, on: date) -> None:
    run = await promote_due_addresses(db, on)
    if run.promoted or run.failed:
        log.info(
            "promoted %s alternative addresses of %s members; %s failed",
            run.promoted,
            run.members,
            len(run.failed),
        )


def daily_promotion(db: Database) -> contextlib.AbstractAsyncContextManager[None]:
    """Promote due addresses at start (catching up a missed night), then every night."""
    return daily("promote-addresses", partial(_promote_today, db))
