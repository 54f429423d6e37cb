"""Every consumer's copy of a member: applied once, and never overwritten by an older version."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from federa.shared.contracts.members import MEMBER_REGISTERED, MemberRegisteredV1
from federa.shared.envelope import new_event
from tests.conftest import Platform

CONSUMERS = ("billing", "payments", "communications", "statistics")


def _event(member_id: uuid.UUID, tenant: str, version: int, status: str) -> bytes:
    data = MemberRegisteredV1(
        member_id=member_id,
        member_number=9,
        name="Gro Ås",
        status=status,
        enrolment_date=date(2026, 2, 1),
        registered_at=datetime.now(UTC),
        registered_by="t",
    )
    return new_event(
        MEMBER_REGISTERED, data, subject=str(member_id), tenant=tenant, aggregate_version=version
    ).to_json()


@pytest.mark.parametrize("service", CONSUMERS)
async def test_a_late_older_version_never_overwrites_a_newer_copy(
    platform: Platform, service: str, tenant: str
) -> None:
    member_id = uuid.uuid4()
    consumer = platform[service].runtime.consumer
    assert await consumer.handle(_event(member_id, tenant, 2, "suspended")) == "applied"
    assert await consumer.handle(_event(member_id, tenant, 1, "active")) == "applied"

    async with platform[service].runtime.db.sessions() as session:
        row = (
            await session.execute(
                text("SELECT status, version FROM members WHERE member_id = :id"),
                {"id": member_id},
            )
        ).one()
    assert tuple(row) == ("suspended", 2)
