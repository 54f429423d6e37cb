"""Events published by the members service."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from federa.shared.contracts.registry import EventData, event


class MemberRegisteredV1(EventData):
    member_id: UUID
    member_number: int = Field(ge=1)
    name: str
    party_kind: str = "person"
    email: str | None = None
    birth_date: date | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str = "DK"
    organisation_id: UUID | None = None
    status: str
    enrolment_date: date
    registered_at: datetime
    registered_by: str


MEMBER_REGISTERED = event(
    "members",
    "member",
    "registered",
    1,
    MemberRegisteredV1,
    "A person, company or public body was registered as a member and given a member number.",
)
