"""The catalogue: products, price codes and reason codes (SPEC §2.2 *Entities and fields*)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from federa.billing.domain.age_bands import AgeBand, AgeReference, check_age_bands
from federa.billing.domain.branch_shares import BranchShare, check_branch_shares
from federa.billing.domain.calculations import FixedPrice, PriceCalculation
from federa.billing.domain.errors import (
    InvalidCatalogue,
    MissingReasonCode,
    UnknownPriceCode,
    UnknownProduct,
)
from federa.billing.domain.periods import Period
from federa.billing.domain.postage import PostagePrice, check_postage_prices
from federa.billing.domain.prices import DatedPrice, check_dated_prices
from federa.billing.domain.product_periods import check_product_periods
from federa.billing.domain.start_dates import (
    DefaultStartRule,
    PeriodStartRule,
    check_period_start_rules,
)
from federa.billing.domain.terms import BillingTerm

# SPEC §5 row 2: product codes are at most 10 characters ("Abonnement", "Medlemskab").
PRODUCT_CODE_MAX = 10


class ReasonAction(Enum):
    START = "start"
    STOP = "stop"
    PAYER_TO = "payer_to"
    PAYER_FROM = "payer_from"
    MOVE_IN = "move_in"
    MOVE_OUT = "move_out"
    PRICE_TO = "price_to"
    PRICE_FROM = "price_from"


@dataclass(frozen=True)
class ReasonCode:
    code: str
    action: ReasonAction
    description: str
    # Stop options only (SPEC §2.2 *Reason code*):
    credit_on_stop: bool = False
    stop_related: bool = False
    new_member_status: str | None = None

    def __post_init__(self) -> None:
        stop_options = self.credit_on_stop or self.stop_related or self.new_member_status
        if stop_options and self.action is not ReasonAction.STOP:
            raise InvalidCatalogue(f"reason {self.code}: stop options belong on stop reasons")


# SPEC §5 row 1 / manual §5.1.2: the eight codes every tenant starts with.
STANDARD_REASON_CODES: tuple[ReasonCode, ...] = (
    ReasonCode("DEB+", ReasonAction.PAYER_TO, "Payer change +"),
    ReasonCode("DEB-", ReasonAction.PAYER_FROM, "Payer change -"),
    ReasonCode("FLYT+", ReasonAction.MOVE_IN, "Move in"),
    ReasonCode("FLYT-", ReasonAction.MOVE_OUT, "Move out"),
    ReasonCode("PRIS+", ReasonAction.PRICE_TO, "Price change +"),
    ReasonCode("PRIS-", ReasonAction.PRICE_FROM, "Price change -"),
    ReasonCode("START", ReasonAction.START, "Start of product"),
    ReasonCode("STOP", ReasonAction.STOP, "Stop of product"),
)


@dataclass(frozen=True)
class LifecycleCodes:
    """The reason codes a product writes for moves, price and payer changes (*Forløbsstyring*)."""

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


@dataclass(frozen=True)
class Product:
    code: str
    description: str
    default_price_code: str | None = None
    default_start_rule: DefaultStartRule = DefaultStartRule.TODAY
    period_start_rules: tuple[PeriodStartRule, ...] = ()
    periods: tuple[Period, ...] = ()
    collects_gift: bool = False
    charges_postage: bool = False
    related_stops: tuple[str, ...] = ()
    default_billed_qty: int = 1
    default_delivered_qty: int = 1
    default_persons: int = 1
    lifecycle_codes: LifecycleCodes = field(default_factory=LifecycleCodes)

    def __post_init__(self) -> None:
        if not 1 <= len(self.code) <= PRODUCT_CODE_MAX:
            raise InvalidCatalogue(
                f"product code {self.code!r} must be 1-{PRODUCT_CODE_MAX} characters"
            )
        check_period_start_rules(self.period_start_rules)
        check_product_periods(self.periods)


@dataclass(frozen=True)
class PriceCode:
    product: str
    code: str
    description: str
    first_term: BillingTerm
    subsequent_term: BillingTerm
    external_description: str = ""  # on invoice lines; the description when blank
    prices: tuple[DatedPrice, ...] = ()
    calculation: PriceCalculation = field(default_factory=FixedPrice)
    free: bool = False
    first_period_discount_pct: Decimal = Decimal(0)
    billed_qty: int | None = None  # None: the product's default
    delivered_qty: int | None = None
    persons: int | None = None
    period_start_rules: tuple[PeriodStartRule, ...] = ()
    age_bands: tuple[AgeBand, ...] = ()
    age_reference: AgeReference = AgeReference.FIRST_OF_JANUARY
    recalculate_start_on_payment: bool = False
    sort_order: int = 0

    def __post_init__(self) -> None:
        check_dated_prices(self.prices)
        check_age_bands(self.age_bands)
        check_period_start_rules(self.period_start_rules)
        if not Decimal(0) <= self.first_period_discount_pct <= Decimal(100):
            raise InvalidCatalogue(
                f"price code {self.code}: first-period discount must be 0-100 %, "
                f"not {self.first_period_discount_pct}"
            )
        terms = (self.first_term, self.subsequent_term)
        # A running year is a pro-rata share of a yearly price, so the price must be yearly
        # (README "Running year pro rata").
        if any(term.running_year for term in terms) and not all(
            term.running_year or term.is_one_year() for term in terms
        ):
            raise InvalidCatalogue(
                f"price code {self.code}: a running year (LÅ) needs yearly prices, so the "
                "other term must be one year or a running year too"
            )
        if self.age_bands and self.prices:
            raise InvalidCatalogue(
                f"price code {self.code} takes its prices from its age bands' price codes"
            )

    @property
    def invoice_text(self) -> str:
        return self.external_description or self.description


@dataclass(frozen=True)
class Catalogue:
    """One tenant's catalogue as the domain sees it; build it with `Catalogue.of`."""

    products: Mapping[str, Product]
    price_codes: Mapping[tuple[str, str], PriceCode]
    reason_codes: Mapping[str, ReasonCode]
    postage: tuple[PostagePrice, ...] = ()
    branch_shares: tuple[BranchShare, ...] = ()
    prerequisite_product: str | None = None
    default_product: str | None = None
    default_stop_reason: str = "STOP"

    @classmethod
    def of(
        cls,
        *,
        products: Iterable[Product],
        price_codes: Iterable[PriceCode],
        reason_codes: Iterable[ReasonCode] = STANDARD_REASON_CODES,
        postage: Iterable[PostagePrice] = (),
        branch_shares: Iterable[BranchShare] = (),
        prerequisite_product: str | None = None,
        default_product: str | None = None,
        default_stop_reason: str = "STOP",
    ) -> Catalogue:
        product_list, code_list, reason_list = (
            tuple(products),
            tuple(price_codes),
            tuple(reason_codes),
        )
        catalogue = cls(
            products={p.code: p for p in product_list},
            price_codes={(pc.product, pc.code): pc for pc in code_list},
            reason_codes={r.code: r for r in reason_list},
            postage=tuple(postage),
            branch_shares=tuple(branch_shares),
            prerequisite_product=prerequisite_product,
            default_product=default_product,
            default_stop_reason=default_stop_reason,
        )
        for what, indexed, listed in (
            ("product", catalogue.products, product_list),
            ("price code", catalogue.price_codes, code_list),
            ("reason code", catalogue.reason_codes, reason_list),
        ):
            if len(indexed) != len(listed):
                raise InvalidCatalogue(f"a {what} is defined twice")
        catalogue._check()
        return catalogue

    def _check(self) -> None:
        check_postage_prices(self.postage)
        check_branch_shares(self.branch_shares)
        for code in (self.prerequisite_product, self.default_product):
            if code is not None:
                self.product(code)
        for share in self.branch_shares:
            self.product(share.product)
        for product in self.products.values():
            if product.default_price_code is not None:
                self.price_code(product.code, product.default_price_code)
            for related in product.related_stops:
                self.product(related)
        for price_code in self.price_codes.values():
            self.product(price_code.product)
            for band in price_code.age_bands:
                target = self.price_code(price_code.product, band.price_code)
                if target.age_bands:
                    raise InvalidCatalogue(
                        f"age band of {price_code.code} points to {target.code}, which has "
                        "age bands itself"
                    )

    def revised(
        self,
        *,
        products: Iterable[Product] = (),
        price_codes: Iterable[PriceCode] = (),
        reason_codes: Iterable[ReasonCode] = (),
        postage: Iterable[PostagePrice] | None = None,
        branch_shares: Iterable[BranchShare] | None = None,
    ) -> Catalogue:
        """This catalogue with the given products, price codes and reason codes added (or
        replacing those with the same key) and postage or branch shares replaced when given,
        checked as a whole: a catalogue change is valid only if the result is."""
        return Catalogue.of(
            products={**self.products, **{p.code: p for p in products}}.values(),
            price_codes={
                **self.price_codes,
                **{(pc.product, pc.code): pc for pc in price_codes},
            }.values(),
            reason_codes={**self.reason_codes, **{r.code: r for r in reason_codes}}.values(),
            postage=self.postage if postage is None else postage,
            branch_shares=self.branch_shares if branch_shares is None else branch_shares,
            prerequisite_product=self.prerequisite_product,
            default_product=self.default_product,
            default_stop_reason=self.default_stop_reason,
        )

    def with_settings(
        self,
        *,
        prerequisite_product: str | None,
        default_product: str | None,
        default_stop_reason: str,
    ) -> Catalogue:
        """The tenant's catalogue defaults; each must name what exists (a stop reason for
        the default stop reason)."""
        catalogue = Catalogue.of(
            products=self.products.values(),
            price_codes=self.price_codes.values(),
            reason_codes=self.reason_codes.values(),
            postage=self.postage,
            branch_shares=self.branch_shares,
            prerequisite_product=prerequisite_product,
            default_product=default_product,
            default_stop_reason=default_stop_reason,
        )
        catalogue.reason(default_stop_reason, ReasonAction.STOP)
        return catalogue

    def product(self, code: str) -> Product:
        try:
            return self.products[code]
        except KeyError:
            raise UnknownProduct(f"no product {code!r}") from None

    def price_code(self, product: str, code: str) -> PriceCode:
        try:
            return self.price_codes[(product, code)]
        except KeyError:
            raise UnknownPriceCode(f"product {product} has no price code {code!r}") from None

    def reason(self, code: str, action: ReasonAction) -> ReasonCode:
        """SPEC §5 row 1: a lifecycle command fails when its configured reason code is missing."""
        reason = self.reason_codes.get(code)
        if reason is None or reason.action is not action:
            raise MissingReasonCode(
                f"reason code {code!r} with action {action.value} is not set up"
            )
        return reason
