"""Request and response models of the subscriptions API. Money is integer minor units of the
tenant's currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from federa.billing.domain.e_invoice import IDENTIFIER_MAX_LENGTH
from federa.billing.http.catalogue_schemas import Body

Channel = Literal["internal", "external"]
Status = Literal["new", "active", "stopped"]


class SubscriptionStart(Body):
    """`StartSubscription` (SPEC §2.2 rules 1-5). Everything but the member has a default:
    the tenant's default product, the product's default price code, a from-date by the
    period-start rules or the product's default start rule, quantities from the price code or
    product, the member's own payer account and registered organisation."""

    member_id: UUID
    product: str | None = None
    price_code: str | None = None
    registration_date: date | None = Field(default=None, description="Default: today")
    from_date: date | None = Field(default=None, description="Default: proposed by rule 3")
    to_date: date | None = Field(
        default=None, description="Last covered day of a time-limited subscription"
    )
    stop_reason: str | None = Field(default=None, description="Required with `to_date`")
    billed_qty: int | None = Field(default=None, ge=0)
    delivered_qty: int | None = Field(default=None, ge=0)
    persons: int | None = Field(default=None, ge=0)
    delivery_address_no: int = Field(default=0, ge=0)
    organisation_id: UUID | None = None
    payer_account_id: UUID | None = None
    collection_channel: Channel = "internal"
    acquisition_channel: str | None = None
    campaign: str | None = None
    reason: str = "START"
    # Rule 7: the member who recruited this one, and a welcome template for this start.
    recruited_by_member_id: UUID | None = None
    welcome_template: str | None = Field(default=None, min_length=1)
    # Rule 39: the subscription's own gift item, over its acquisition channel's.
    recruitment_gift_item: str | None = Field(
        default=None,
        min_length=1,
        description="The recruiter's gift item for this subscription; needs "
        "`recruited_by_member_id`. Default: the acquisition channel's",
    )
    # Rule 35c: the payer's reference (*Reference nr.*), as `PUT …/payer-reference` takes it.
    payer_reference: str | None = Field(
        default=None,
        max_length=IDENTIFIER_MAX_LENGTH,
        description="The payer's reference on this subscription's invoices: the e-invoice's "
        "external document number; blank is none",
    )

    @model_validator(mode="after")
    def _gift_item_needs_a_recruiter(self) -> SubscriptionStart:
        # A gift item without a recruiter would earn nothing and could not be stored.
        if self.recruitment_gift_item is not None and self.recruited_by_member_id is None:
            raise ValueError("recruitment_gift_item needs recruited_by_member_id")
        return self


class SubscriptionStop(Body):
    """`StopSubscription(reason, date, credit, stop_related)` (rule 8)."""

    reason: str | None = Field(default=None, description="Default: the tenant's stop reason")
    stop_date: date | None = Field(
        default=None,
        description="First day without coverage; default: the day after the last billed period",
    )
    credit: bool | None = Field(default=None, description="Default: the reason's option")
    stop_related: bool | None = Field(default=None, description="Default: the reason's option")


class PriceCodeChange(Body):
    """`ChangePriceCode(new, from)` (rule 9): never inside a billed period."""

    price_code: str
    from_date: date | None = Field(default=None, description="Default: next billing period")
    collection_channel: Channel | None = None


class PayerChange(Body):
    """`ChangePayer(new)` (rule 10): always from the day after the latest invoiced period."""

    payer_account_id: UUID


class DeliveryMove(Body):
    """`MoveDelivery(new_address, from, to?)` (rule 11): no `to_date` is a permanent move."""

    address_no: int = Field(ge=0)
    from_date: date
    to_date: date | None = None


class SubscriptionRestart(Body):
    """`RestartSubscription` (rule 12): proposes the price code in effect at the stop and the
    stop date."""

    price_code: str | None = None
    from_date: date | None = None
    reason: str = "START"


class SubscriptionRead(BaseModel):
    """A subscription as of today: status, price code, payer and delivery address are the ones
    in effect today; changes dated later are in its lifecycle."""

    id: UUID
    subscription_no: int
    member_id: UUID
    product: str
    price_code: str
    payer_account_id: UUID
    status: Status
    billing_status: str
    registration_date: date
    from_date: date
    to_date: date | None
    stop_reason: str | None
    billed_from: date | None
    billed_through: date | None
    next_unbilled_date: date
    billed_qty: int
    delivered_qty: int
    persons: int
    delivery_address_no: int
    organisation_id: UUID | None
    collection_channel: Channel
    acquisition_channel: str | None
    campaign: str | None
    payer_reference: str | None = Field(
        description="The payer's reference (rule 35c): its e-invoices' external document number"
    )
    recruited_by_member_id: UUID | None = Field(description="Rule 39: who recruited the member")
    recruitment_gift_item: str | None = Field(
        description="Rule 39: the subscription's own gift item (else the channel's)"
    )
    version: int
    created_at: datetime
    updated_at: datetime


class DeliveryAddressRead(BaseModel):
    """Where deliveries numbered `address_no` go: 0 is the member's primary address."""

    address_no: int
    name: str | None
    address: str | None
    address_2: str | None
    postcode: str | None
    city: str | None
    country_code: str


class SubscriptionDetail(SubscriptionRead):
    delivery_address: DeliveryAddressRead | None = Field(
        description="The address in effect today; None while billing knows no such address"
    )


class SubscriptionPage(BaseModel):
    items: list[SubscriptionRead]
    total: int
    limit: int
    offset: int


class LifecycleEntryRead(BaseModel):
    position: int
    kind: str
    reason_code: str
    effective: date
    recorded_on: date
    old_value: str | None
    new_value: str | None
    to_date: date | None
    recorded_at: datetime
    recorded_by: str


class QuoteLineRead(BaseModel):
    kind: Literal["product", "postage", "gift"]
    product: str
    price_code: str
    description: str
    period_from: date
    period_to: date
    quantity: Decimal
    unit_price: Decimal = Field(description="Minor units, before pro rata and discount")
    amount: int
    rule: str = Field(description="How the amount was computed, in words")


class SettlementLineRead(BaseModel):
    organisation_id: UUID
    organisation_name: str
    amount: int
    rule: str


class QuoteRead(BaseModel):
    """The next charge a billing run through `bill_through` would make (rules 15-25, 34)."""

    subscription_id: UUID
    subscription_no: int
    bill_through: date
    period_from: date | None
    period_to: date | None
    first_charge: bool
    free: bool
    lines: list[QuoteLineRead]
    settlements: list[SettlementLineRead]
    total: int
    currency: str
    explanation: str
    notes: list[str]


class PayerAccountRead(BaseModel):
    id: UUID
    number: int
    owner_member_id: UUID | None
    owner_organisation_id: UUID | None
    name: str
    name_2: str | None
    address: str | None
    address_2: str | None
    postcode: str | None
    city: str | None
    country_code: str
    email: str | None
    gln: str | None = Field(description="Rule 35b: the GLN/EAN of a public customer")
    e_invoice_payment_method: str | None = Field(
        description="Rule 35b: the e-invoice payment method (`PUT …/e-invoice`)"
    )
    version: int


class PayerOptionRead(BaseModel):
    """A payer account a member's subscriptions may be billed to, and why it is offered."""

    relation: Literal["own", "household", "organisation"]
    account: PayerAccountRead


class MassPayerChangeBody(Body):
    """`MassChangePayer` (SPEC §2.2 rule 40): the account's subscriptions move to each
    member's own payer account."""

    only_active: bool = Field(
        default=True, description="Only subscriptions active today; else those not started yet too"
    )
    products: list[str] = Field(
        default_factory=list, description="Only these products; all if empty"
    )


class RefusedChangeRead(BaseModel):
    subscription_id: UUID
    subscription_no: int
    type: str = Field(description="The rule that refused it (problem type's last part)")
    detail: str


class MassPayerChangeRead(BaseModel):
    payer_account_id: UUID
    changed: int
    changed_subscription_ids: list[UUID]
    refused: list[RefusedChangeRead]
