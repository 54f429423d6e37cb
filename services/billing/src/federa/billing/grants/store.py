"""Calculating, approving and reading allocation-grant batches (rule 41, flow F12 item 2).

A batch is one tenant's grants for one reference date: one grant per organisation of the
rules' type 1 or 2, with the members counted and the rule that decided the amount. The same
reference date again returns the batch made first (and so does the same `Idempotency-Key`);
a tenant's calculations run one at a time (a transaction-scoped advisory lock). A batch is
`calculated` until a treasurer approves it; approving publishes
`billing.allocation_grant.calculated` per grant with something to pay, so payments pays only
what was approved (as branch settlements, rule 34). A batch not approved yet may be discarded
and calculated again (after the rules or an area were corrected).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Text, Uuid, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.allocation_grants import (
    Grant,
    GrantOrganisation,
    GrantRule,
    calculate_grants,
)
from federa.billing.domain.ids import OrganisationId
from federa.billing.grants.rules import rules_of
from federa.billing.scope import Scope
from federa.billing.storage.grant_tables import (
    allocation_grant_batches,
    allocation_grants,
    organisation_grant_profiles,
)
from federa.billing.storage.tables import organisations
from federa.billing.tenancy import settings_of
from federa.shared.contracts.billing import (
    ALLOCATION_GRANT_CALCULATED,
    AllocationGrantCalculatedV1,
)
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_events_in_tx

Row = dict[str, Any]

# Members of an organisation's subtree: `organisation_ids` lists a member's affiliations with
# their ancestors, so a section's member counts for the branch above it; each member once per
# organisation, whatever number of its affiliations lie beneath it.
MEMBER_COUNTS = text(
    """
    SELECT o.org AS organisation_id, count(DISTINCT m.member_id) AS members
    FROM members AS m CROSS JOIN LATERAL unnest(m.organisation_ids) AS o(org)
    WHERE m.tenant = :tenant
      AND m.status = ANY(:statuses)
      AND m.organisation_ids && :ids
      AND o.org = ANY(:ids)
    GROUP BY o.org
    """
).bindparams(bindparam("statuses", type_=ARRAY(Text)), bindparam("ids", type_=ARRAY(Uuid)))


@dataclass(frozen=True)
class Batch:
    row: Row
    grants: list[Row]
    created: bool


def _not_found(batch_id: uuid.UUID) -> Problem:
    return Problem(
        404, "allocation-grant-batch-not-found", "Not found", f"No grant batch {batch_id}."
    )


async def _batch_where(session: AsyncSession, *where: Any, lock: bool = False) -> Row | None:
    query = select(allocation_grant_batches).where(*where)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().one_or_none()
    return None if row is None else dict(row)


async def _grants_of(session: AsyncSession, batch_id: uuid.UUID, scope: Scope | None) -> list[Row]:
    where = [allocation_grants.c.batch_id == batch_id]
    if scope is not None:
        where.append(_visible(scope))
    rows = await session.execute(
        select(allocation_grants).where(*where).order_by(allocation_grants.c.organisation_id)
    )
    return [dict(r) for r in rows.mappings()]


async def _organisations(
    session: AsyncSession, tenant: str, types: tuple[str, ...], statuses: tuple[str, ...]
) -> tuple[list[GrantOrganisation], dict[uuid.UUID, str]]:
    o, p = organisations.c, organisation_grant_profiles.c
    rows = (
        await session.execute(
            select(o.organisation_id, o.name, o.organisation_type, p.area_km2)
            .outerjoin(organisation_grant_profiles, p.organisation_id == o.organisation_id)
            .where(o.tenant == tenant, o.organisation_type.in_(types))
        )
    ).all()
    ids = [r.organisation_id for r in rows]
    counts: dict[uuid.UUID, int] = {}
    if ids:
        found = await session.execute(
            MEMBER_COUNTS, {"tenant": tenant, "statuses": list(statuses), "ids": ids}
        )
        counts = {r.organisation_id: int(r.members) for r in found}
    return (
        [
            GrantOrganisation(
                organisation=OrganisationId(r.organisation_id),
                organisation_type=r.organisation_type,
                members=counts.get(r.organisation_id, 0),
                area_km2=None if r.area_km2 is None else Decimal(r.area_km2),
            )
            for r in rows
        ],
        {r.organisation_id: r.name for r in rows},
    )


async def calculate_in_tx(
    session: AsyncSession,
    tenant: str,
    reference_date: date,
    *,
    actor: str,
    idempotency_key: str | None = None,
) -> Batch:
    """The reference date's grants, stored as a `calculated` batch (nothing published yet).
    The same date or the same key again: the batch made first."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"allocation-grant:{tenant}"},
    )
    t = allocation_grant_batches.c
    if idempotency_key is not None:
        keyed = await _batch_where(
            session, t.tenant == tenant, t.idempotency_key == idempotency_key
        )
        if keyed is not None:
            if keyed["reference_date"] != reference_date:
                raise Problem(
                    422,
                    "idempotency-key-reused",
                    "Invalid request",
                    f"Idempotency-Key {idempotency_key!r} was used for the grants of "
                    f"{keyed['reference_date']}.",
                )
            return Batch(keyed, await _grants_of(session, keyed["id"], None), created=False)
    existing = await _batch_where(session, t.tenant == tenant, t.reference_date == reference_date)
    if existing is not None:
        return Batch(existing, await _grants_of(session, existing["id"], None), created=False)

    stored = await rules_of(session, tenant)
    if not stored.rules.grant_types:
        raise Problem(
            409,
            "grant-rules-missing",
            "Refused in the current state",
            "Set up the allocation-grant rules (at least one organisation type) first.",
        )
    found, names = await _organisations(
        session, tenant, stored.rules.grant_types, stored.member_statuses
    )
    grants = calculate_grants(found, stored.rules)
    batch = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "reference_date": reference_date,
        "currency": (await settings_of(session, tenant)).currency,
        "status": "calculated",
        "rules": stored.as_json(),
        "rules_version": stored.version,
        "idempotency_key": idempotency_key,
        "created_at": datetime.now(UTC),
        "created_by": actor,
        "approved_at": None,
        "approved_by": None,
    }
    await session.execute(insert(allocation_grant_batches).values(**batch))
    rows = [_row(batch, grant, names.get(grant.organisation)) for grant in grants]
    if rows:
        await session.execute(insert(allocation_grants), rows)
    return Batch(batch, rows, created=True)


def _row(batch: Row, grant: Grant, name: str | None) -> Row:
    return {
        "id": uuid.uuid4(),
        "batch_id": batch["id"],
        "tenant": batch["tenant"],
        "organisation_id": grant.organisation,
        "organisation_name": name,
        "organisation_type": grant.organisation_type,
        "type_no": grant.type_no,
        "reference_date": batch["reference_date"],
        "members": grant.members,
        "area_km2": grant.area_km2,
        "rule": grant.rule.value,
        "explanation": grant.explanation,
        "currency": batch["currency"],
        "amount": grant.amount,
        "created_at": batch["created_at"],
    }


def _event(tenant: str, grant: Row) -> CloudEvent:
    return new_event(
        ALLOCATION_GRANT_CALCULATED,
        AllocationGrantCalculatedV1(
            grant_id=grant["id"],
            batch_id=grant["batch_id"],
            organisation_id=grant["organisation_id"],
            organisation_type=grant["organisation_type"],
            reference_date=grant["reference_date"],
            currency=grant["currency"],
            amount=grant["amount"],
            members=grant["members"],
            rule=grant["rule"],
            area_km2=grant["area_km2"],
        ),
        subject=str(grant["id"]),
        tenant=tenant,
        aggregate_version=1,
    )


async def approve_in_tx(
    session: AsyncSession, tenant: str, batch_id: uuid.UUID, *, actor: str
) -> Batch:
    """Approves the batch for payout: one `billing.allocation_grant.calculated` per grant
    with an amount (a grant of 0 pays nothing). Approving it again changes nothing."""
    t = allocation_grant_batches.c
    batch = await _batch_where(session, t.id == batch_id, t.tenant == tenant, lock=True)
    if batch is None:
        raise _not_found(batch_id)
    grants = await _grants_of(session, batch_id, None)
    if batch["status"] == "approved":
        return Batch(batch, grants, created=False)
    approved = (
        (
            await session.execute(
                update(allocation_grant_batches)
                .where(t.id == batch_id, t.status == "calculated")
                .values(status="approved", approved_at=func.now(), approved_by=actor)
                .returning(allocation_grant_batches)
            )
        )
        .mappings()
        .one()
    )
    payable = [g for g in grants if g["amount"] > 0 and g["rule"] != GrantRule.NONE.value]
    if payable:
        await record_events_in_tx(session, [_event(tenant, g) for g in payable])
    return Batch(dict(approved), grants, created=True)


async def discard_in_tx(session: AsyncSession, tenant: str, batch_id: uuid.UUID) -> None:
    """Removes a batch not approved yet (nothing was published), so its date may be
    calculated again; an approved batch is paid out and stays (409)."""
    t = allocation_grant_batches.c
    batch = await _batch_where(session, t.id == batch_id, t.tenant == tenant, lock=True)
    if batch is None:
        raise _not_found(batch_id)
    if batch["status"] == "approved":
        raise Problem(
            409,
            "allocation-grant-batch-approved",
            "Refused in the current state",
            f"Grant batch {batch_id} is approved for payout and cannot be discarded.",
        )
    await session.execute(delete(allocation_grant_batches).where(t.id == batch_id))


def _visible(scope: Scope) -> Any:
    """A branch officer sees the grants of the organisations in their subtree."""
    in_tenant = allocation_grants.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    return in_tenant & allocation_grants.c.organisation_id.in_(list(scope.organisation_ids))


async def list_grants(
    session: AsyncSession,
    scope: Scope,
    *,
    reference_date: date | None,
    organisation_id: uuid.UUID | None,
    batch_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    g = allocation_grants.c
    where = [_visible(scope)]
    if reference_date is not None:
        where.append(g.reference_date == reference_date)
    if organisation_id is not None:
        where.append(g.organisation_id == organisation_id)
    if batch_id is not None:
        where.append(g.batch_id == batch_id)
    total = (
        await session.execute(select(func.count()).select_from(allocation_grants).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(allocation_grants, allocation_grant_batches.c.status)
        .join(allocation_grant_batches, allocation_grant_batches.c.id == g.batch_id)
        .where(*where)
        .order_by(g.reference_date.desc(), g.organisation_id, g.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def load_grant(session: AsyncSession, scope: Scope, grant_id: uuid.UUID) -> Row:
    row = (
        (
            await session.execute(
                select(allocation_grants, allocation_grant_batches.c.status)
                .join(
                    allocation_grant_batches,
                    allocation_grant_batches.c.id == allocation_grants.c.batch_id,
                )
                .where(allocation_grants.c.id == grant_id, _visible(scope))
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "allocation-grant-not-found", "Not found", f"No allocation grant {grant_id}."
        )
    return dict(row)


async def list_batches(
    session: AsyncSession, scope: Scope, *, limit: int, offset: int
) -> tuple[list[Row], int]:
    """The tenant's batches, newest reference date first, each with the number and the sum of
    the grants the caller may see (the grants themselves: `load_batch`)."""
    t, g = allocation_grant_batches.c, allocation_grants.c
    sums = (
        select(
            g.batch_id,
            func.count().label("grant_count"),
            func.sum(g.amount).label("total"),
        )
        .where(_visible(scope))
        .group_by(g.batch_id)
        .subquery()
    )
    total = (
        await session.execute(
            select(func.count())
            .select_from(allocation_grant_batches)
            .where(t.tenant == scope.tenant)
        )
    ).scalar_one()
    rows = await session.execute(
        select(
            allocation_grant_batches,
            func.coalesce(sums.c.grant_count, 0).label("grant_count"),
            func.coalesce(sums.c.total, 0).label("total"),
        )
        .outerjoin(sums, sums.c.batch_id == t.id)
        .where(t.tenant == scope.tenant)
        .order_by(t.reference_date.desc(), t.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def load_batch(session: AsyncSession, scope: Scope, batch_id: uuid.UUID) -> Row:
    """The batch with the grants the caller may see."""
    t = allocation_grant_batches.c
    batch = await _batch_where(session, t.id == batch_id, t.tenant == scope.tenant)
    if batch is None:
        raise _not_found(batch_id)
    batch["grants"] = await _grants_of(session, batch_id, scope)
    return batch
