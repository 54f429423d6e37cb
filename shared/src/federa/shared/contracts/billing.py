"""Events published by the billing service.

Catalogue events carry the whole current state of their aggregate (a product, a price code), so
a consumer keeps its copy with one order-safe upsert whatever the event; subscription events
carry the subscription's ids and what the command changed. Money is integer minor units of the
tenant's currency; rates and percentages are decimals (strings in JSON).

`SubscriptionStoppedV1` predates the rest and keeps its optional fields. The newer events state
the facts every occurrence has as required fields; all of them grow only by optional fields
within a version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import Field

from federa.shared.contracts.registry import EventData, event

# ---------------------------------------------------------------------------------------------
# Catalogue


class BillingTermV1(EventData):
    """A structured period expression (SPEC §6.2): a length in years, months and days, or the
    running year (`until_year_end`, legacy `LÅ`) from the start through 31 December."""

    years: int = 0
    months: int = 0
    days: int = 0
    until_year_end: bool = False


class BranchShareV1(EventData):
    """The fixed part of the product's dues forwarded to a branch (SPEC §2.2 rule 34)."""

    organisation_id: UUID
    amount: int


class ProductStateV1(EventData):
    product_id: UUID
    product_code: str
    description: str
    description_2: str | None = None
    default_price_code: str | None = None
    # none | today | next_term | calendar_year (SPEC §2.2 rule 3)
    default_start_rule: str
    collects_gift: bool = False
    charges_postage: bool = False
    default_billed_qty: int = 1
    default_delivered_qty: int = 1
    default_persons: int = 1
    # Products stopped together with this one (*Ydelser Restancestopstyring*).
    related_stops: list[str] = Field(default_factory=list)
    # The product calendar's reach: first day of its first and last day of its last period.
    periods_from: date | None = None
    periods_through: date | None = None
    branch_shares: list[BranchShareV1] = Field(default_factory=list)


class ProductUpdatedV1(ProductStateV1):
    changed_fields: list[str] = Field(default_factory=list)


class PriceCodeStateV1(EventData):
    price_code_id: UUID
    product_code: str
    price_code: str
    description: str
    external_description: str = ""
    free: bool = False
    first_term: BillingTermV1
    subsequent_term: BillingTermV1
    first_period_discount_pct: Decimal = Decimal(0)
    # fixed | value_bands | payroll (SPEC §2.2 rules 16-18)
    calculation: str
    # Age-banded codes: the price codes the bands point to, youngest first.
    age_band_price_codes: list[str] = Field(default_factory=list)
    sort_order: int = 0


class PriceCodeUpdatedV1(PriceCodeStateV1):
    changed_fields: list[str] = Field(default_factory=list)


class PriceScheduledV1(EventData):
    """A dated price: valid from `from_date` until the price code's next one (rule 15)."""

    price_code_id: UUID
    product_code: str
    price_code: str
    from_date: date
    amount: int
    currency: str


PRODUCT_CREATED = event(
    "billing",
    "product",
    "created",
    1,
    ProductStateV1,
    "A product (membership, subscription, fixed contribution) was added to the catalogue.",
)
PRODUCT_UPDATED = event(
    "billing",
    "product",
    "updated",
    1,
    ProductUpdatedV1,
    "A product changed (its data, calendar, related stops); `changed_fields` names what "
    "changed, the rest is the current state.",
)
PRICE_CODE_CREATED = event(
    "billing",
    "price_code",
    "created",
    1,
    PriceCodeStateV1,
    "A price code (tariff) was added to a product.",
)
PRICE_CODE_UPDATED = event(
    "billing",
    "price_code",
    "updated",
    1,
    PriceCodeUpdatedV1,
    "A price code changed (its data, value bands or payroll tables); `changed_fields` names "
    "what changed.",
)
PRICE_SCHEDULED = event(
    "billing",
    "price",
    "scheduled",
    1,
    PriceScheduledV1,
    "A dated price was scheduled for a price code; future prices are allowed. The subject is "
    "the price code.",
)

# ---------------------------------------------------------------------------------------------
# Payer accounts


class PayerAccountStateV1(EventData):
    payer_account_id: UUID
    number: int
    # The member whose own account this is, if any.
    owner_member_id: UUID | None = None
    name: str
    name_2: str | None = None
    address: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str = "DK"
    email: str | None = None


PAYER_ACCOUNT_CREATED = event(
    "billing",
    "payer_account",
    "created",
    1,
    PayerAccountStateV1,
    "A payer account was created (a member's own, from `member.registered`).",
)
PAYER_ACCOUNT_UPDATED = event(
    "billing",
    "payer_account",
    "updated",
    1,
    PayerAccountStateV1,
    "A payer account's name or address changed (synced from its member).",
)

# ---------------------------------------------------------------------------------------------
# Subscriptions


class SubscriptionStartedV1(EventData):
    """SPEC §2.2 rules 1-5: a subscription exists from its START lifecycle entry."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    price_code: str
    payer_account_id: UUID
    reason_code: str
    registration_date: date
    from_date: date
    # Last covered day of a time-limited subscription; None = running.
    to_date: date | None = None
    billed_qty: int = 1
    delivered_qty: int = 1
    persons: int = 1
    delivery_address_no: int = 0
    organisation_id: UUID | None = None
    # internal | external
    collection_channel: str = "internal"
    acquisition_channel: str | None = None
    campaign: str | None = None


class SubscriptionStoppedV1(EventData):
    """A subscription stopped (SPEC §2.2 rule 8): voluntarily, by arrears stop or bulk stop."""

    subscription_id: UUID
    member_id: UUID
    product_code: str | None = None
    # The first day without coverage (SPEC §6.3 item 4: billed_through + 1 by default).
    stop_date: date | None = None
    reason_code: str | None = None
    # The latest billed period was credited (credit memo) or the order deleted.
    credited: bool | None = None
    # Products stopped together with this one (the reason's "stop related" flag).
    related_subscription_ids: list[UUID] = Field(default_factory=list)
    # The stop reason's "change member status" option: the status the member should get.
    member_status_to_set: str | None = None
    subscription_no: int | None = None


class SubscriptionPriceCodeChangedV1(EventData):
    """SPEC §2.2 rule 9: the new price code prices every period starting on or after
    `effective_date` (`PRIS-`/`PRIS+`)."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    old_price_code: str
    new_price_code: str
    effective_date: date
    collection_channel: str = "internal"


class SubscriptionPayerChangedV1(EventData):
    """SPEC §2.2 rule 10: another payer pays from the day after the latest invoiced period
    (`DEB-`/`DEB+`)."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    old_payer_account_id: UUID
    new_payer_account_id: UUID
    effective_date: date


class SubscriptionDeliveryMovedV1(EventData):
    """SPEC §2.2 rule 11: deliveries go to another of the member's addresses from
    `from_date`; a temporary move returns by itself the day after `to_date`."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    old_address_no: int
    new_address_no: int
    from_date: date
    to_date: date | None = None


class SubscriptionRestartedV1(EventData):
    """SPEC §2.2 rule 12: a stopped subscription started again (a new START entry)."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    price_code: str
    from_date: date
    reason_code: str


class SubscriptionDeletedV1(EventData):
    """SPEC §2.2 rule 13: a subscription that was never charged and is not active was
    deleted; consumers forget it."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str


SUBSCRIPTION_STARTED = event(
    "billing",
    "subscription",
    "started",
    1,
    SubscriptionStartedV1,
    "A subscription started for a member: product, price code, payer, dates and quantities.",
)
SUBSCRIPTION_STOPPED = event(
    "billing",
    "subscription",
    "stopped",
    1,
    SubscriptionStoppedV1,
    "A subscription stopped with a reason code; `member_status_to_set` names the status the "
    "member gets when the reason says so (members applies it).",
)
SUBSCRIPTION_PRICE_CODE_CHANGED = event(
    "billing",
    "subscription",
    "price_code_changed",
    1,
    SubscriptionPriceCodeChangedV1,
    "A subscription moves to another price code from a date after its billed periods.",
)
SUBSCRIPTION_PAYER_CHANGED = event(
    "billing",
    "subscription",
    "payer_changed",
    1,
    SubscriptionPayerChangedV1,
    "Another payer account pays a subscription from the day after its latest invoiced period.",
)
SUBSCRIPTION_DELIVERY_MOVED = event(
    "billing",
    "subscription",
    "delivery_moved",
    1,
    SubscriptionDeliveryMovedV1,
    "A subscription's deliveries move to another address, permanently or for a while.",
)
SUBSCRIPTION_RESTARTED = event(
    "billing",
    "subscription",
    "restarted",
    1,
    SubscriptionRestartedV1,
    "A stopped subscription was started again from a date.",
)
SUBSCRIPTION_DELETED = event(
    "billing",
    "subscription",
    "deleted",
    1,
    SubscriptionDeletedV1,
    "A subscription that was never charged and is not active was deleted.",
)
