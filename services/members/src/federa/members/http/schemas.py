"""Request and response models of the members API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Foreign postcodes carry their country prefix (SPEC §2.1: "NO-0150").
POSTCODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$"
PHONE_PATTERN = r"^\+?[0-9 ()-]{4,20}$"

Code = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]


class PartyKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"
    PUBLIC_BODY = "public_body"


class Channel(StrEnum):
    EMAIL = "email"
    PAPER = "paper"
    SMS = "sms"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberFields(_Input):
    """Fields a member has, as sent when registering or (all optional) when updating."""

    name_2: str | None = Field(default=None, max_length=100)
    street_name: str | None = Field(default=None, max_length=60)
    street_no: str | None = Field(default=None, max_length=10)
    street_letter: str | None = Field(default=None, max_length=4)
    floor: str | None = Field(default=None, max_length=10)
    floor_side: str | None = Field(default=None, max_length=10)
    address: str | None = Field(default=None, max_length=100)
    address_2: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, pattern=POSTCODE_PATTERN)
    city: str | None = Field(default=None, max_length=60)
    municipality_code: str | None = Field(default=None, max_length=10)
    region_code: str | None = Field(default=None, max_length=10)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    mobile: str | None = Field(default=None, pattern=PHONE_PATTERN)
    birth_date: date | None = None
    birth_year: int | None = Field(default=None, ge=1880, le=2200)
    gender: Gender | None = None
    category: Code | None = None
    value_units: int | None = Field(default=None, ge=0)
    gift_amount: int | None = Field(default=None, ge=0, description="Minor currency units.")
    correspondence_channel: Channel | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    address_sync_disabled: bool | None = None

    @field_validator("birth_date")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError("birth date is in the future")
        return value

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class MemberCreate(MemberFields):
    name: str = Field(min_length=1, max_length=100)
    party_kind: PartyKind = PartyKind.PERSON
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    organisation_id: UUID | None = None
    status: Code = "active"
    enrolment_date: date | None = None
    external_id: str | None = Field(default=None, max_length=64)
    confirm_duplicate: bool = Field(
        default=False, description="Register even though probable duplicates exist."
    )


class MemberUpdate(MemberFields):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    party_kind: PartyKind | None = None
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    enrolment_date: date | None = None


class StatusChange(_Input):
    status: Code
    reason: str | None = Field(default=None, max_length=200)


class Leave(_Input):
    leaving_reason: Code
    leaving_date: date
    status: Code = "left"
    end_affiliations_and_offices: bool = True


class MemberRead(BaseModel):
    id: UUID
    member_number: int
    external_id: str | None
    name: str
    name_2: str | None
    party_kind: PartyKind
    street_name: str | None
    street_no: str | None
    street_letter: str | None
    floor: str | None
    floor_side: str | None
    address: str | None
    address_2: str | None
    postcode: str | None
    city: str | None
    country_code: str
    municipality_code: str | None
    region_code: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    birth_date: date | None
    birth_year: int | None
    gender: str | None
    organisation_id: UUID | None
    category: str | None
    status: str
    enrolment_date: date
    leaving_reason: str | None
    leaving_date: date | None
    value_units: int | None
    gift_amount: int | None
    correspondence_channel: str
    tags: list[str]
    primary_member_id: UUID | None
    address_sync_disabled: bool
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class MemberPage(BaseModel):
    items: list[MemberRead]
    total: int
    limit: int
    offset: int


class HistoryEntry(BaseModel):
    version: int
    action: str
    changes: dict[str, dict[str, object]]
    changed_at: datetime
    changed_by: str


class DuplicateCandidate(BaseModel):
    id: UUID
    member_number: int
    name: str
    address: str | None
    postcode: str | None
