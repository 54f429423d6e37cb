"""Request and response models of the members API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class PartyKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"
    PUBLIC_BODY = "public_body"


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    party_kind: PartyKind = PartyKind.PERSON
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    birth_date: date | None = None
    postcode: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
    city: str | None = Field(default=None, max_length=60)
    country_code: str = Field(default="DK", pattern=r"^[A-Z]{2}$")
    organisation_id: UUID | None = None
    status: str = Field(default="active", min_length=1, max_length=30)
    enrolment_date: date | None = None

    @field_validator("birth_date")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError("birth date is in the future")
        return value


class MemberRead(BaseModel):
    id: UUID
    member_number: int
    name: str
    party_kind: PartyKind
    email: str | None
    birth_date: date | None
    postcode: str | None
    city: str | None
    country_code: str
    organisation_id: UUID | None
    status: str
    enrolment_date: date
    version: int
    created_at: datetime
    created_by: str


class MemberPage(BaseModel):
    items: list[MemberRead]
    total: int
    limit: int
    offset: int
