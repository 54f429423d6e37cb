"""Events published by the members service.

Member events carry the member's whole current state (`MemberState`), so a consumer keeps its
copy with one order-safe upsert whatever the event. National identifiers are never in events.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from federa.shared.contracts.registry import EventData, event


class MemberState(EventData):
    member_id: UUID
    member_number: int = Field(ge=1)
    name: str
    party_kind: str = "person"
    name_2: str | None = None
    address: str | None = None
    address_2: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    gender: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str = "DK"
    municipality_code: str | None = None
    region_code: str | None = None
    # The organisation the member was registered at (the creating user's branch), if any.
    organisation_id: UUID | None = None
    # Every organisation the member is actively affiliated to, ancestors included.
    organisation_ids: list[UUID] = Field(default_factory=list)
    category: str | None = None
    status: str
    enrolment_date: date
    leaving_reason: str | None = None
    leaving_date: date | None = None
    value_units: int | None = None
    # Standing gift in minor units of the tenant's currency.
    gift_amount: int | None = None
    correspondence_channel: str = "email"
    tags: list[str] = Field(default_factory=list)
    primary_member_id: UUID | None = None


class MemberRegisteredV1(MemberState):
    registered_at: datetime
    registered_by: str


class MemberUpdatedV1(MemberState):
    changed_fields: list[str]
    updated_at: datetime
    updated_by: str


class MemberAddressChangedV1(MemberState):
    effective_date: date
    # Set when the change came from the primary member of a household or a promoted
    # alternative address rather than from a direct edit.
    propagated_from: UUID | None = None
    changed_at: datetime
    changed_by: str


class MemberStatusChangedV1(MemberState):
    previous_status: str
    reason: str | None = None
    changed_at: datetime
    changed_by: str


class MemberLeftV1(MemberState):
    changed_at: datetime
    changed_by: str


class MemberErasedV1(EventData):
    """Personal data was pseudonymised; every service scrubs its copy of this member."""

    member_id: UUID
    member_number: int
    erased_at: datetime
    erased_by: str


class HouseholdLinkV1(EventData):
    primary_member_id: UUID
    secondary_member_id: UUID
    at: datetime
    by: str


class AlternativeAddressV1(EventData):
    """A member's alternative address (SPEC §2.1 *Alternative address*), whole: a subscription
    delivers to it by its `address_no` (billing's `delivery_address_no`; 0 is the member's
    primary address). Name, e-mail and phone belong to the address (a delivery's recipient).
    The subject is the address; added is version 1, removed the next."""

    address_id: UUID
    member_id: UUID
    # The address's number among the member's addresses, from 1, never reused for the member.
    address_no: int = Field(ge=1)
    address_type: str
    name: str | None = None
    name_2: str | None = None
    address: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str = "DK"
    # From this day it is the member's primary address (promotion, SPEC §2.1 rule 9).
    primary_from: date | None = None
    at: datetime
    by: str


class OrganisationStateV1(EventData):
    organisation_id: UUID
    organisation_number: int
    name: str
    name_2: str | None = None
    organisation_type: str
    parent_id: UUID | None = None
    # Root first, the organisation itself excluded.
    ancestor_ids: list[UUID] = Field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str = "DK"
    postcodes: list[str] = Field(default_factory=list)
    municipality_codes: list[str] = Field(default_factory=list)


class OrganisationMovedV1(OrganisationStateV1):
    previous_parent_id: UUID | None = None


class AffiliationV1(EventData):
    affiliation_id: UUID
    member_id: UUID
    organisation_id: UUID
    from_date: date
    to_date: date | None = None
    # How it came about: manual, user, postcode, municipality, ancestor.
    source: str
    # For an ancestor affiliation, the affiliation it was derived from.
    derived_from: UUID | None = None


class OfficeV1(EventData):
    office_id: UUID
    member_id: UUID
    organisation_id: UUID
    office_type: str
    from_date: date
    to_date: date | None = None


MEMBER_REGISTERED = event(
    "members",
    "member",
    "registered",
    1,
    MemberRegisteredV1,
    "A person, company or public body was registered as a member and given a member number.",
)
MEMBER_UPDATED = event(
    "members",
    "member",
    "updated",
    1,
    MemberUpdatedV1,
    "Member data changed; `changed_fields` names what changed, the rest is the current state.",
)
MEMBER_ADDRESS_CHANGED = event(
    "members",
    "member",
    "address_changed",
    1,
    MemberAddressChangedV1,
    "The member's primary address changed (directly, from the household's primary member, "
    "or by promoting an alternative address).",
)
MEMBER_STATUS_CHANGED = event(
    "members",
    "member",
    "status_changed",
    1,
    MemberStatusChangedV1,
    "The member's status changed.",
)
MEMBER_LEFT = event(
    "members",
    "member",
    "left",
    1,
    MemberLeftV1,
    "The member left, with a leaving reason and date.",
)
MEMBER_ERASED = event(
    "members",
    "member",
    "erased",
    1,
    MemberErasedV1,
    "The member's personal data was erased (GDPR); scrub every copy.",
)
HOUSEHOLD_LINKED = event(
    "members",
    "household",
    "linked",
    1,
    HouseholdLinkV1,
    "A secondary member was linked to a primary member (household or company).",
)
HOUSEHOLD_UNLINKED = event(
    "members",
    "household",
    "unlinked",
    1,
    HouseholdLinkV1,
    "A secondary member was unlinked from its primary member.",
)
ALTERNATIVE_ADDRESS_ADDED = event(
    "members",
    "alternative_address",
    "added",
    1,
    AlternativeAddressV1,
    "An alternative (delivery) address was added to a member, with its address number.",
)
ALTERNATIVE_ADDRESS_REMOVED = event(
    "members",
    "alternative_address",
    "removed",
    1,
    AlternativeAddressV1,
    "An alternative address that had not become the member's primary address was removed.",
)
ORGANISATION_CREATED = event(
    "members",
    "organisation",
    "created",
    1,
    OrganisationStateV1,
    "An organisation (federation, region, branch, section…) was created in the tree.",
)
ORGANISATION_UPDATED = event(
    "members",
    "organisation",
    "updated",
    1,
    OrganisationStateV1,
    "An organisation's data changed.",
)
ORGANISATION_MOVED = event(
    "members",
    "organisation",
    "moved",
    1,
    OrganisationMovedV1,
    "An organisation and its subtree moved under another parent.",
)
AFFILIATION_STARTED = event(
    "members",
    "affiliation",
    "started",
    1,
    AffiliationV1,
    "A member was affiliated to an organisation from a date.",
)
AFFILIATION_ENDED = event(
    "members",
    "affiliation",
    "ended",
    1,
    AffiliationV1,
    "A member's affiliation to an organisation ended on `to_date`.",
)
OFFICE_STARTED = event(
    "members",
    "office",
    "started",
    1,
    OfficeV1,
    "A member took an office (chair, treasurer, coach…) in an organisation.",
)
OFFICE_ENDED = event(
    "members",
    "office",
    "ended",
    1,
    OfficeV1,
    "A member's office ended on `to_date`.",
)

# Every event that carries a member's whole state; a copy is kept by consuming all of them.
MEMBER_STATE_EVENTS = (
    MEMBER_REGISTERED,
    MEMBER_UPDATED,
    MEMBER_ADDRESS_CHANGED,
    MEMBER_STATUS_CHANGED,
    MEMBER_LEFT,
)
