"""Request and response models of the catalogue API.

Money is integer minor units of the tenant's `currency`; rates and percentages are decimals
(strings in JSON). A billing term is a structured period expression
(`{"years": 1}`, `{"months": 3}`, `{"until_year_end": true}`) or the legacy notation
(`"1Å"`, `"1Å-1D"`, `"15M"`, `"LÅ"`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from federa.billing.domain.terms import BillingTerm, parse_legacy_term

StartRule = Literal["none", "today", "next_term", "calendar_year"]
Calculation = Literal["fixed", "value_bands", "payroll"]
AgeReferenceName = Literal["first_of_january", "period_start"]
ReasonActionName = Literal[
    "start", "stop", "payer_to", "payer_from", "move_in", "move_out", "price_to", "price_from"
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Term(Body):
    years: int = 0
    months: int = 0
    days: int = 0
    until_year_end: bool = False

    def to_domain(self) -> BillingTerm:
        return BillingTerm(
            years=self.years,
            months=self.months,
            days=self.days,
            running_year=self.until_year_end,
        )


TermIn = Term | str


def term_from(value: TermIn) -> BillingTerm:
    return parse_legacy_term(value) if isinstance(value, str) else value.to_domain()


class TermRead(BaseModel):
    years: int
    months: int
    days: int
    until_year_end: bool
    description: str

    @classmethod
    def of(cls, term: BillingTerm) -> TermRead:
        return cls(
            years=term.years,
            months=term.months,
            days=term.days,
            until_year_end=term.running_year,
            description=term.describe(),
        )


class PeriodStartRuleBody(Body):
    """Registrations in months `registration_month_from`..`registration_month_to` start on the
    1st of `first_start_month` (the window may wrap the year end)."""

    first_start_month: int = Field(ge=1, le=12)
    registration_month_from: int = Field(ge=1, le=12)
    registration_month_to: int = Field(ge=1, le=12)


class LifecycleCodesBody(Body):
    price_from: str = "PRIS-"
    price_to: str = "PRIS+"
    payer_from: str = "DEB-"
    payer_to: str = "DEB+"
    move_out: str = "FLYT-"
    move_in: str = "FLYT+"
    temporary_out: str = "FLYT-"
    temporary_in: str = "FLYT+"
    temporary_back_out: str = "FLYT-"
    temporary_back_in: str = "FLYT+"


# ---------------------------------------------------------------------------------------------
# Products


class ProductCreate(Body):
    code: str = Field(min_length=1, description="At most 10 characters (SPEC §5 row 2).")
    description: str = Field(min_length=1)
    description_2: str | None = None
    default_start_rule: StartRule = "today"
    period_start_rules: list[PeriodStartRuleBody] = Field(default_factory=list)
    collects_gift: bool = False
    charges_postage: bool = False
    default_billed_qty: int = Field(default=1, ge=0)
    default_delivered_qty: int = Field(default=1, ge=0)
    default_persons: int = Field(default=1, ge=0)
    lifecycle_codes: LifecycleCodesBody = Field(default_factory=LifecycleCodesBody)


class ProductUpdate(Body):
    """Only the fields sent change."""

    description: str | None = Field(default=None, min_length=1)
    description_2: str | None = None
    default_price_code: str | None = None
    default_start_rule: StartRule | None = None
    period_start_rules: list[PeriodStartRuleBody] | None = None
    collects_gift: bool | None = None
    charges_postage: bool | None = None
    default_billed_qty: int | None = Field(default=None, ge=0)
    default_delivered_qty: int | None = Field(default=None, ge=0)
    default_persons: int | None = Field(default=None, ge=0)
    lifecycle_codes: LifecycleCodesBody | None = None


class BranchShareBody(Body):
    organisation_id: UUID
    # Defaults to the name in billing's copy of the organisation tree.
    organisation_name: str | None = None
    amount: int = Field(ge=0)


class BranchShareRead(BaseModel):
    organisation_id: UUID
    organisation_name: str
    amount: int


class RelatedStops(Body):
    products: list[str]


class PeriodsGenerate(Body):
    """`GeneratePeriods(start, count, length)` (SPEC §2.2)."""

    start: date
    count: int = Field(ge=1, le=1200)
    length: TermIn


class PeriodRead(BaseModel):
    start: date
    end: date


class ProductRead(BaseModel):
    id: UUID
    code: str
    description: str
    description_2: str | None
    default_price_code: str | None
    default_start_rule: StartRule
    period_start_rules: list[PeriodStartRuleBody]
    collects_gift: bool
    charges_postage: bool
    default_billed_qty: int
    default_delivered_qty: int
    default_persons: int
    lifecycle_codes: LifecycleCodesBody
    related_stops: list[str]
    periods_from: date | None
    periods_through: date | None
    branch_shares: list[BranchShareRead]
    version: int
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------------------------------------
# Price codes


class ValueBandBody(Body):
    max_value: Decimal | None = Field(description="None: open (last band only)")
    net_price: int = Field(ge=0, description="Minor units per value")


class ValueBandsBody(Body):
    unit_value_price: Decimal = Field(ge=0)
    bands: list[ValueBandBody] = Field(min_length=1)


class PayrollBandBody(Body):
    min_value: int = Field(ge=0)
    max_value: int | None = None
    price_per_unit: Decimal = Field(ge=0, description="Minor units per value unit")
    min_dues: int = Field(default=0, ge=0, description="Only on the line with price 0")


class PayrollTableBody(Body):
    from_date: date
    bands: list[PayrollBandBody] = Field(min_length=1)


class AgeBandBody(Body):
    up_to_age: int | None = Field(description="None: no upper age (last band only)")
    price_code: str


class PriceCodeCreate(Body):
    product: str
    code: str = Field(min_length=1)
    description: str = Field(min_length=1)
    external_description: str = ""
    first_term: TermIn
    subsequent_term: TermIn
    free: bool = False
    first_period_discount_pct: Decimal = Field(default=Decimal(0), ge=0, le=100)
    calculation: Calculation = "fixed"
    value_bands: ValueBandsBody | None = Field(
        default=None, description="Required when `calculation` is value_bands"
    )
    billed_qty: int | None = Field(default=None, ge=0)
    delivered_qty: int | None = Field(default=None, ge=0)
    persons: int | None = Field(default=None, ge=0)
    period_start_rules: list[PeriodStartRuleBody] = Field(default_factory=list)
    age_bands: list[AgeBandBody] = Field(default_factory=list)
    age_reference: AgeReferenceName = "first_of_january"
    recalculate_start_on_payment: bool = False
    sort_order: int = 0


class PriceCodeUpdate(Body):
    """Only the fields sent change. The calculation may switch to `value_bands` only when the
    code has value bands (define them with PUT …/value-bands)."""

    description: str | None = Field(default=None, min_length=1)
    external_description: str | None = None
    first_term: TermIn | None = None
    subsequent_term: TermIn | None = None
    free: bool | None = None
    first_period_discount_pct: Decimal | None = Field(default=None, ge=0, le=100)
    calculation: Calculation | None = None
    billed_qty: int | None = Field(default=None, ge=0)
    delivered_qty: int | None = Field(default=None, ge=0)
    persons: int | None = Field(default=None, ge=0)
    period_start_rules: list[PeriodStartRuleBody] | None = None
    age_bands: list[AgeBandBody] | None = None
    age_reference: AgeReferenceName | None = None
    recalculate_start_on_payment: bool | None = None
    sort_order: int | None = None


class PriceSchedule(Body):
    """`SchedulePrice(from_date)`: valid from `from_date` until the next price; future prices
    are allowed."""

    from_date: date
    amount: int = Field(ge=0)


class PriceRead(BaseModel):
    from_date: date
    amount: int


class PriceCodeRead(BaseModel):
    id: UUID
    product: str
    code: str
    description: str
    external_description: str
    free: bool
    first_term: TermRead
    subsequent_term: TermRead
    first_period_discount_pct: Decimal
    calculation: Calculation
    value_bands: ValueBandsBody | None
    payroll_tables: list[PayrollTableBody]
    billed_qty: int | None
    delivered_qty: int | None
    persons: int | None
    period_start_rules: list[PeriodStartRuleBody]
    age_bands: list[AgeBandBody]
    age_reference: AgeReferenceName
    recalculate_start_on_payment: bool
    sort_order: int
    prices: list[PriceRead]
    currency: str
    version: int
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------------------------------------
# Tenant setup: settings, reason codes, postage


class SettingsBody(Body):
    currency: str = Field(default="DKK", pattern=r"^[A-Z]{3}$")
    default_product: str | None = None
    # SPEC §2.2 rule 1: no other product starts unless this one is active on the member.
    prerequisite_product: str | None = None
    default_stop_reason: str = "STOP"


class ReasonCodeBody(Body):
    action: ReasonActionName
    description: str = Field(min_length=1)
    # Stop reasons only (SPEC §2.2 *Reason code*).
    credit_on_stop: bool = False
    stop_related: bool = False
    new_member_status: str | None = None


class ReasonCodeRead(ReasonCodeBody):
    model_config = ConfigDict(extra="ignore")

    code: str


class PostagePriceBody(Body):
    country_code: str = Field(pattern=r"^[A-Z]{2}$")
    postcode: str | None = Field(default=None, description="None: the whole country")
    from_date: date
    description: str = Field(min_length=1)
    amount: int = Field(ge=0)


class PostagePriceRead(PostagePriceBody):
    model_config = ConfigDict(extra="ignore")

    id: UUID
