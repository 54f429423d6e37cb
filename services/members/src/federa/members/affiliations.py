"""Affiliations and offices: dated links of a member to organisations.

Affiliating a member to an organisation attaches every ancestor of it too (SPEC §2.1 rule 7),
as affiliations `derived_from` the base one. A derived affiliation lives as long as some active
base affiliation still implies it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.domain.tree import ancestor_ids
from federa.members.member_store import now
from federa.members.storage.tables import (
    affiliations,
    offices,
    organisation_areas,
    organisations,
)
from federa.shared.contracts.members import (
    AFFILIATION_ENDED,
    AFFILIATION_STARTED,
    OFFICE_ENDED,
    OFFICE_STARTED,
    AffiliationV1,
    OfficeV1,
)
from federa.shared.envelope import CloudEvent, new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

ANCESTOR = "ancestor"


def affiliation_event(row: Mapping[str, Any], *, ended: bool = False) -> CloudEvent:
    """The envelope of an affiliation's start or end; the bulk import builds the same ones."""
    data = AffiliationV1(
        affiliation_id=row["id"],
        member_id=row["member_id"],
        organisation_id=row["organisation_id"],
        from_date=row["from_date"],
        to_date=row["to_date"],
        source=row["source"],
        derived_from=row["derived_from"],
    )
    return new_event(
        AFFILIATION_ENDED if ended else AFFILIATION_STARTED,
        data,
        subject=str(row["id"]),
        tenant=row["tenant"],
        aggregate_version=row["version"],
    )


def office_event(row: Mapping[str, Any], *, ended: bool = False) -> CloudEvent:
    data = OfficeV1(
        office_id=row["id"],
        member_id=row["member_id"],
        organisation_id=row["organisation_id"],
        office_type=row["office_type"],
        from_date=row["from_date"],
        to_date=row["to_date"],
    )
    return new_event(
        OFFICE_ENDED if ended else OFFICE_STARTED,
        data,
        subject=str(row["id"]),
        tenant=row["tenant"],
        aggregate_version=row["version"],
    )


async def _publish_affiliation(session: AsyncSession, row: Mapping[str, Any], ended: bool) -> None:
    await record_event_in_tx(session, affiliation_event(row, ended=ended))


def _open_on(day: date) -> Any:
    return (affiliations.c.to_date.is_(None)) | (affiliations.c.to_date >= day)


async def insert_affiliation_in_tx(session: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    row = {"id": uuid.uuid4(), "version": 1, "created_at": now(), **values}
    await session.execute(insert(affiliations).values(**row))
    await _publish_affiliation(session, row, ended=False)
    return row


async def start_affiliation_in_tx(
    session: AsyncSession,
    *,
    tenant: str,
    member_id: uuid.UUID,
    organisation_id: uuid.UUID,
    from_date: date,
    to_date: date | None,
    source: str,
    actor: str,
) -> list[dict[str, Any]]:
    """Affiliate the member to the organisation and, derived from it, to every ancestor."""
    if to_date is not None and to_date < from_date:
        raise Problem(
            422,
            "invalid-period",
            "Ends before it starts",
            "to_date is before from_date",
            errors=[{"field": "to_date", "message": "before from_date"}],
        )
    org = (
        await session.execute(
            select(organisations.c.id, organisations.c.path).where(
                organisations.c.tenant == tenant, organisations.c.id == organisation_id
            )
        )
    ).one_or_none()
    if org is None:
        raise Problem(
            422,
            "unknown-organisation",
            "Unknown organisation",
            f"No organisation {organisation_id}.",
            errors=[{"field": "organisation_id", "message": "unknown organisation"}],
        )
    common = {"tenant": tenant, "member_id": member_id, "created_by": actor}
    base = await insert_affiliation_in_tx(
        session,
        {
            **common,
            "organisation_id": organisation_id,
            "from_date": from_date,
            "to_date": to_date,
            "source": source,
            "derived_from": None,
        },
    )
    created = [base]
    ancestors = ancestor_ids(org.path)
    if ancestors:
        existing = await session.execute(
            select(affiliations.c.organisation_id).where(
                affiliations.c.member_id == member_id,
                affiliations.c.organisation_id.in_(ancestors),
                affiliations.c.from_date <= from_date,
                _open_on(from_date),
            )
        )
        covered = {r.organisation_id for r in existing}
        for ancestor in ancestors:
            if ancestor in covered:
                continue
            created.append(
                await insert_affiliation_in_tx(
                    session,
                    {
                        **common,
                        "organisation_id": ancestor,
                        "from_date": from_date,
                        "to_date": to_date,
                        "source": ANCESTOR,
                        "derived_from": base["id"],
                    },
                )
            )
    return created


async def _set_end(session: AsyncSession, row: Mapping[str, Any], to_date: date) -> dict[str, Any]:
    # A link that had not begun by then ends on its first day: the shortest period the
    # dates can express, and the started/ended events still pair up.
    to_date = max(to_date, row["from_date"])
    ended = {**row, "to_date": to_date, "version": row["version"] + 1}
    await session.execute(
        update(affiliations)
        .where(affiliations.c.id == row["id"])
        .values(to_date=to_date, version=ended["version"])
    )
    await _publish_affiliation(session, ended, ended=True)
    return ended


async def end_affiliation_in_tx(
    session: AsyncSession, *, tenant: str, affiliation_id: uuid.UUID, to_date: date
) -> list[dict[str, Any]]:
    """End a base affiliation and the ancestor affiliations nothing else implies any more."""
    row = (
        (
            await session.execute(
                select(affiliations)
                .where(affiliations.c.tenant == tenant, affiliations.c.id == affiliation_id)
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(404, "affiliation-not-found", "Affiliation not found")
    if row["source"] == ANCESTOR:
        raise Problem(
            409,
            "derived-affiliation",
            "Derived affiliation",
            "It follows from an affiliation beneath it; end that one instead.",
        )
    if to_date < row["from_date"]:
        raise Problem(
            422,
            "invalid-period",
            "Ends before it starts",
            errors=[{"field": "to_date", "message": "before from_date"}],
        )
    if row["to_date"] is not None and row["to_date"] <= to_date:
        return []  # already ended by then: nothing to do, nothing to publish
    ended = [await _set_end(session, dict(row), to_date)]
    ended += await rederive_ancestors_in_tx(session, row["member_id"], to_date)
    return ended


async def rederive_ancestors_in_tx(
    session: AsyncSession, member_id: uuid.UUID, as_of: date
) -> list[dict[str, Any]]:
    """After a base affiliation ended: keep each derived one that another active base
    affiliation still implies (re-pointing it), end the rest."""
    bases = (
        await session.execute(
            select(affiliations.c.id, organisations.c.path)
            .join(organisations, organisations.c.id == affiliations.c.organisation_id)
            .where(
                affiliations.c.member_id == member_id,
                affiliations.c.source != ANCESTOR,
                _open_on(as_of + timedelta(days=1)),
            )
        )
    ).all()
    implied: dict[uuid.UUID, uuid.UUID] = {}
    for base in bases:
        for ancestor in ancestor_ids(base.path):
            implied.setdefault(ancestor, base.id)
    derived = (
        (
            await session.execute(
                select(affiliations)
                .where(
                    affiliations.c.member_id == member_id,
                    affiliations.c.source == ANCESTOR,
                    _open_on(as_of + timedelta(days=1)),
                )
                .with_for_update()
            )
        )
        .mappings()
        .all()
    )
    ended = []
    for row in derived:
        keeper = implied.get(row["organisation_id"])
        if keeper is None:
            ended.append(await _set_end(session, dict(row), as_of))
        elif keeper != row["derived_from"]:
            await session.execute(
                update(affiliations)
                .where(affiliations.c.id == row["id"])
                .values(derived_from=keeper)
            )
    return ended


async def end_all_in_tx(
    session: AsyncSession, *, tenant: str, member_id: uuid.UUID, to_date: date
) -> None:
    """End every open affiliation and office of a member (leaving, arrears stop)."""
    open_bases = (
        await session.execute(
            select(affiliations.c.id).where(
                affiliations.c.member_id == member_id,
                affiliations.c.source != ANCESTOR,
                _open_on(to_date + timedelta(days=1)),
                affiliations.c.from_date <= to_date,
            )
        )
    ).all()
    for base in open_bases:
        await end_affiliation_in_tx(session, tenant=tenant, affiliation_id=base.id, to_date=to_date)
    open_offices = (
        await session.execute(
            select(offices.c.id).where(
                offices.c.member_id == member_id,
                (offices.c.to_date.is_(None)) | (offices.c.to_date > to_date),
                offices.c.from_date <= to_date,
            )
        )
    ).all()
    for office in open_offices:
        await end_office_in_tx(session, tenant=tenant, office_id=office.id, to_date=to_date)


async def _publish_office(session: AsyncSession, row: Mapping[str, Any], ended: bool) -> None:
    await record_event_in_tx(session, office_event(row, ended=ended))


async def start_office_in_tx(
    session: AsyncSession,
    *,
    tenant: str,
    member_id: uuid.UUID,
    organisation_id: uuid.UUID,
    office_type: str,
    from_date: date,
    to_date: date | None,
    note: str | None,
    actor: str,
) -> dict[str, Any]:
    if to_date is not None and to_date < from_date:
        raise Problem(
            422,
            "invalid-period",
            "Ends before it starts",
            "An office cannot end before it starts.",
            errors=[{"field": "to_date", "message": "before from_date"}],
        )
    known = await session.execute(
        select(organisations.c.id).where(
            organisations.c.tenant == tenant, organisations.c.id == organisation_id
        )
    )
    if known.one_or_none() is None:
        raise Problem(
            422,
            "unknown-organisation",
            "Unknown organisation",
            errors=[{"field": "organisation_id", "message": "unknown organisation"}],
        )
    row = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "member_id": member_id,
        "organisation_id": organisation_id,
        "office_type": office_type,
        "from_date": from_date,
        "to_date": to_date,
        "note": note,
        "version": 1,
        "created_at": now(),
        "created_by": actor,
    }
    await session.execute(insert(offices).values(**row))
    await _publish_office(session, row, ended=False)
    return row


async def end_office_in_tx(
    session: AsyncSession, *, tenant: str, office_id: uuid.UUID, to_date: date
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(offices)
                .where(offices.c.tenant == tenant, offices.c.id == office_id)
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(404, "office-not-found", "Office not found")
    if to_date < row["from_date"]:
        raise Problem(
            422,
            "invalid-period",
            "Ends before it starts",
            "An office cannot end before it starts.",
            errors=[{"field": "to_date", "message": "before from_date"}],
        )
    if row["to_date"] is not None and row["to_date"] <= to_date:
        return None
    ended = {**row, "to_date": to_date, "version": row["version"] + 1}
    await session.execute(
        update(offices)
        .where(offices.c.id == office_id)
        .values(to_date=to_date, version=ended["version"])
    )
    await _publish_office(session, ended, ended=True)
    return ended


async def organisations_for_address_in_tx(
    session: AsyncSession,
    *,
    tenant: str,
    postcode: str | None,
    municipality_code: str | None,
    by_postcode: bool,
    by_municipality: bool,
) -> Sequence[tuple[uuid.UUID, str]]:
    """(organisation, "postcode" | "municipality") for each organisation whose areas cover
    the address (SPEC §2.1 rule 7), postcode matches first, each in organisation-id order so
    the result does not depend on row order."""
    wanted = []
    if by_postcode and postcode:
        wanted.append(("postcode", postcode))
    if by_municipality and municipality_code:
        wanted.append(("municipality", municipality_code))
    if not wanted:
        return []
    found: dict[uuid.UUID, str] = {}
    for kind, code in wanted:
        rows = await session.execute(
            select(organisation_areas.c.organisation_id)
            .where(
                organisation_areas.c.tenant == tenant,
                organisation_areas.c.kind == kind,
                organisation_areas.c.code == code,
            )
            .order_by(organisation_areas.c.organisation_id)
        )
        for r in rows:
            found.setdefault(r.organisation_id, kind)
    return list(found.items())
