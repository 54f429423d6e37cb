"""Quote: the exact lines a subscription's next charge would have, each with the rule that
produced its amount, so staff and tests can see why a price is what it is.

The charge covers one period from the next unbilled date (SPEC §2.2 rules 24-25) and is priced
by rules 15-22: price code in effect on the period's start, age band, calculation, running-year
pro rata, first-period discount, postage, standing gift; plus the branch share (rule 34).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from federa.billing.domain.age_bands import age_on, age_reference_date, band_for_age
from federa.billing.domain.branch_shares import branch_share_for
from federa.billing.domain.calculations import PricingBasis, ValueBands
from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.errors import MissingBirthDate, ValueBandsNotEnabled
from federa.billing.domain.ids import OrganisationId
from federa.billing.domain.member_facts import MemberFacts
from federa.billing.domain.money import format_money
from federa.billing.domain.periods import Period, billing_period
from federa.billing.domain.postage import postage_on
from federa.billing.domain.prices import days_in_year, discounted, pro_rata_of_year
from federa.billing.domain.product_periods import check_periods_cover
from federa.billing.domain.subscription import (
    SubscriptionState,
    is_due,
    is_first_charge,
    next_unbilled_date,
    price_code_on,
)
from federa.billing.domain.terms import BillingTerm


class LineKind(Enum):
    PRODUCT = "product"
    POSTAGE = "postage"
    GIFT = "gift"


@dataclass(frozen=True)
class QuoteLine:
    kind: LineKind
    product: str
    price_code: str
    description: str
    period_from: date
    period_to: date
    quantity: Decimal
    unit_price: Decimal  # minor units, before pro rata and discount; fractional for rates
    amount: int  # minor units, what the member is charged
    rule: str


@dataclass(frozen=True)
class SettlementLine:
    organisation: OrganisationId
    organisation_name: str
    amount: int
    rule: str


@dataclass(frozen=True)
class Quote:
    subscription_no: int
    period: Period | None  # None: nothing is due
    first_charge: bool
    free: bool
    lines: tuple[QuoteLine, ...]
    settlements: tuple[SettlementLine, ...]
    explanation: str
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def quote(
    subscription: SubscriptionState,
    catalogue: Catalogue,
    member: MemberFacts,
    *,
    bill_through: date,
    use_value_bands: bool = True,
) -> Quote:
    """The next charge a billing run through `bill_through` would make for `subscription`."""
    state = subscription
    upcoming = next_unbilled_date(state)
    if not is_due(state, bill_through):
        why = (
            f"covered only through {state.to_date}"
            if state.to_date is not None and upcoming > state.to_date
            else f"next unbilled day {upcoming} is after the bill-through date {bill_through}"
        )
        return Quote(
            subscription_no=state.subscription_no,
            period=None,
            first_charge=False,
            free=False,
            lines=(),
            settlements=(),
            explanation=f"nothing due: {why}",
        )
    product = catalogue.product(state.product)
    check_periods_cover(product.periods, product.code, bill_through)
    own_code = catalogue.price_code(state.product, price_code_on(state, upcoming))
    first = is_first_charge(state)
    term = own_code.first_term if first else own_code.subsequent_term
    period = billing_period(upcoming, term)
    explanation = (
        f"{'first' if first else 'next'} charge {period}: "
        f"{'first' if first else 'subsequent'} term {term.describe()} of price code "
        f"{own_code.code}"
    )
    pricing_code, age_rule = _pricing_code(own_code, catalogue, member, period.start)
    if pricing_code.free:
        return Quote(
            subscription_no=state.subscription_no,
            period=period,
            first_charge=first,
            free=True,
            lines=(),
            settlements=(),
            explanation=f"{explanation}; price code {pricing_code.code} is free: no charge",
        )
    if isinstance(pricing_code.calculation, ValueBands) and not use_value_bands:
        raise ValueBandsNotEnabled(
            f"price code {pricing_code.code} is priced by value bands; "
            "run with 'use value bands' on (rule 17)"
        )
    charge = _Charge(state, product, own_code, pricing_code, member, period, term, first)
    notes: list[str] = []
    if state.to_date is not None and state.to_date < period.end:
        notes.append(
            f"to-date {state.to_date} falls inside the period; a run credits the rest (rule 29)"
        )
    lines = [charge.product_line(age_rule)]
    if product.charges_postage:
        postage = charge.postage_line(catalogue)
        if postage is None:
            notes.append(f"no postage price for {member.country_code} on {period.start}")
        else:
            lines.append(postage)
    if product.collects_gift and member.gift_amount > 0:
        lines.append(charge.gift_line())
    return Quote(
        subscription_no=state.subscription_no,
        period=period,
        first_charge=first,
        free=False,
        lines=tuple(lines),
        settlements=_settlements(catalogue, product.code, state.organisation),
        explanation=explanation,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class _Charge:
    """One charged period and everything its lines are priced from."""

    state: SubscriptionState
    product: Product
    own_code: PriceCode  # the subscription's: terms and first-period discount
    pricing_code: PriceCode  # its own or its age band's: prices, calculation, invoice text
    member: MemberFacts
    period: Period
    term: BillingTerm
    first: bool

    def line(
        self,
        kind: LineKind,
        description: str,
        quantity: Decimal,
        unit_price: Decimal,
        amount: int,
        rule: str,
    ) -> QuoteLine:
        return QuoteLine(
            kind=kind,
            product=self.product.code,
            price_code=self.pricing_code.code,
            description=description,
            period_from=self.period.start,
            period_to=self.period.end,
            quantity=quantity,
            unit_price=unit_price,
            amount=amount,
            rule=rule,
        )

    def product_line(self, age_rule: str | None) -> QuoteLine:
        calculated = self.pricing_code.calculation.calculate(
            PricingBasis(
                price_code=self.pricing_code.code,
                period_start=self.period.start,
                billed_qty=self.state.billed_qty,
                value_units=self.member.value_units,
                prices=self.pricing_code.prices,
            )
        )
        rule = calculated.rule if age_rule is None else f"{age_rule}; {calculated.rule}"
        amount, rule = self.pro_rata(calculated.amount, rule)
        discount = self.own_code.first_period_discount_pct
        if self.first and discount:
            amount = discounted(amount, discount)
            rule += f"; first-period discount {discount.normalize():f}% → {format_money(amount)}"
        return self.line(
            LineKind.PRODUCT,
            self.pricing_code.invoice_text,
            calculated.quantity,
            calculated.unit_price,
            amount,
            rule,
        )

    def postage_line(self, catalogue: Catalogue) -> QuoteLine | None:
        """Rule 21: postage valid on the period's start for the delivery address, per copy."""
        postage = postage_on(
            catalogue.postage, self.member.country_code, self.member.postcode, self.period.start
        )
        if postage is None:
            return None
        copies = self.state.delivered_qty
        where = postage.country_code + ("" if postage.postcode is None else f" {postage.postcode}")
        amount, rule = self.pro_rata(
            postage.amount * copies,
            f"postage {format_money(postage.amount)} to {where} valid from {postage.from_date}"
            f" x {copies} delivered",
        )
        return self.line(
            LineKind.POSTAGE,
            postage.description,
            Decimal(copies),
            Decimal(postage.amount),
            amount,
            rule,
        )

    def gift_line(self) -> QuoteLine:
        """Rule 22: the member's standing gift, whole, on every charge of a collecting product."""
        gift = self.member.gift_amount
        return self.line(
            LineKind.GIFT,
            "Gift",
            Decimal(1),
            Decimal(gift),
            gift,
            f"standing gift {format_money(gift)}: product {self.product.code} collects the "
            "member's gift (rule 22)",
        )

    def pro_rata(self, amount: int, rule: str) -> tuple[int, str]:
        """Running year (`LÅ`, rule 20): the yearly amount x the period's share of the year."""
        if not self.term.running_year:
            return amount, rule
        share = pro_rata_of_year(amount, self.period)
        year_days = days_in_year(self.period.start.year)
        return share, (
            f"{rule}; pro rata {self.period.days}/{year_days} of the yearly "
            f"{format_money(amount)} → {format_money(share)}"
        )


def _settlements(
    catalogue: Catalogue, product: str, organisation: OrganisationId | None
) -> tuple[SettlementLine, ...]:
    share = branch_share_for(catalogue.branch_shares, product, organisation)
    if share is None:
        return ()
    return (
        SettlementLine(
            organisation=share.organisation,
            organisation_name=share.organisation_name,
            amount=share.amount,
            rule=f"branch share {format_money(share.amount)} of {product} for "
            f"{share.organisation_name} (rule 34)",
        ),
    )


def _pricing_code(
    own: PriceCode, catalogue: Catalogue, member: MemberFacts, period_start: date
) -> tuple[PriceCode, str | None]:
    """The price code that prices the period: the subscription's own, or its age band's."""
    if not own.age_bands:
        return own, None
    if member.birth_date is None:
        raise MissingBirthDate(f"price code {own.code} prices by age; the member has no birth date")
    reference = age_reference_date(own.age_reference, period_start)
    age = age_on(member.birth_date, reference)
    band = band_for_age(own.age_bands, age)
    limit = "no upper age" if band.up_to_age is None else f"up to {band.up_to_age}"
    target = catalogue.price_code(own.product, band.price_code)
    return target, f"age {age} on {reference} → band {limit}: price code {target.code}"
