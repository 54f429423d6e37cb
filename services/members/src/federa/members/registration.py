"""Registering a member: number it, store it, record `member.registered` in the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.http.schemas import MemberCreate
from federa.members.storage.tables import members
from federa.shared.auth import Principal
from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

_NEXT_NUMBER = text(
    """
    INSERT INTO member_numbers (tenant, last_number) VALUES (:tenant, 1)
    ON CONFLICT (tenant) DO UPDATE SET last_number = member_numbers.last_number + 1
    RETURNING last_number
    """
)


async def register_member_in_tx(
    session: AsyncSession, *, request: MemberCreate, principal: Principal
) -> dict[str, Any]:
    number = (await session.execute(_NEXT_NUMBER, {"tenant": principal.tenant})).scalar_one()
    now = datetime.now(UTC)
    row = {
        "id": uuid.uuid4(),
        "tenant": principal.tenant,
        "member_number": number,
        "party_kind": request.party_kind.value,
        "name": request.name,
        "email": request.email,
        "birth_date": request.birth_date,
        "postcode": request.postcode,
        "city": request.city,
        "country_code": request.country_code,
        "organisation_id": request.organisation_id,
        "status": request.status,
        "enrolment_date": request.enrolment_date or date.today(),
        "version": 1,
        "created_at": now,
        "created_by": principal.subject,
    }
    await session.execute(insert(members).values(**row))
    data = MemberRegisteredV1(
        member_id=row["id"],
        member_number=number,
        name=request.name,
        party_kind=request.party_kind.value,
        email=request.email,
        birth_date=request.birth_date,
        postcode=request.postcode,
        city=request.city,
        country_code=request.country_code,
        organisation_id=request.organisation_id,
        status=request.status,
        enrolment_date=row["enrolment_date"],
        registered_at=now,
        registered_by=principal.subject,
    )
    await record_event_in_tx(
        session,
        new_event(
            MEMBER_REGISTERED,
            data,
            subject=str(row["id"]),
            tenant=principal.tenant,
            aggregate_version=1,
        ),
    )
    return row


async def get_member(session: AsyncSession, *, tenant: str, member_id: uuid.UUID) -> Any:
    query = select(members).where(members.c.tenant == tenant, members.c.id == member_id)
    return (await session.execute(query)).mappings().one_or_none()


async def list_members(
    session: AsyncSession, *, tenant: str, limit: int, offset: int
) -> tuple[list[Any], int]:
    where = members.c.tenant == tenant
    total = (await session.execute(select(func.count()).where(where))).scalar_one()
    query = select(members).where(where).order_by(members.c.member_number).limit(limit)
    rows = (await session.execute(query.offset(offset))).mappings().all()
    return list(rows), int(total)
