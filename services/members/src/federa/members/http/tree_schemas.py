"""Request and response models for organisations, affiliations, offices, reference codes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from federa.members.http.schemas import EMAIL_PATTERN, PHONE_PATTERN, POSTCODE_PATTERN, Code


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationFields(_Input):
    name_2: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    address: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, pattern=POSTCODE_PATTERN)
    city: str | None = Field(default=None, max_length=60)
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class OrganisationCreate(OrganisationFields):
    name: str = Field(min_length=1, max_length=100)
    organisation_type: Code
    parent_id: UUID | None = None


class OrganisationUpdate(OrganisationFields):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    organisation_type: Code | None = None


class OrganisationMove(_Input):
    parent_id: UUID


class OrganisationAreas(_Input):
    postcodes: list[str] = Field(default_factory=list, max_length=5000)
    municipalities: list[str] = Field(default_factory=list, max_length=1000)


class OrganisationRead(BaseModel):
    id: UUID
    organisation_number: int
    name: str
    name_2: str | None
    organisation_type: str
    parent_id: UUID | None
    ancestor_ids: list[UUID]
    email: str | None
    phone: str | None
    address: str | None
    postcode: str | None
    city: str | None
    country_code: str
    version: int
    created_at: datetime
    updated_at: datetime


class OrganisationPage(BaseModel):
    items: list[OrganisationRead]
    total: int
    limit: int
    offset: int


class _Period(_Input):
    from_date: date = Field(default_factory=date.today)
    to_date: date | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> _Period:
        if self.to_date is not None and self.to_date < self.from_date:
            raise ValueError("to_date is before from_date")
        return self


class AffiliationCreate(_Period):
    organisation_id: UUID


class OfficeCreate(_Period):
    organisation_id: UUID
    office_type: Code
    note: str | None = Field(default=None, max_length=500)


class EndLink(_Input):
    to_date: date = Field(default_factory=date.today)


class AffiliationRead(BaseModel):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    from_date: date
    to_date: date | None
    active: bool
    source: str
    derived_from: UUID | None


class OfficeRead(BaseModel):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    office_type: str
    from_date: date
    to_date: date | None
    active: bool
    note: str | None


class ReferenceCodeWrite(_Input):
    description: str = Field(min_length=1, max_length=100)
    active: bool = True
    attributes: dict[str, Any] = Field(default_factory=dict)


class ReferenceCodeRead(BaseModel):
    kind: str
    code: str
    description: str
    active: bool
    attributes: dict[str, Any]
