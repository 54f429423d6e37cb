"""The three price calculations of a price code (SPEC §2.2 rules 16-18, §6.1 item 4).

Each strategy prices one full billed period and says in words how it got there; pro rata and
discounts are applied afterwards by the quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from federa.billing.domain.errors import (
    InvalidCatalogue,
    MissingMinimumDuesLine,
    MissingValueUnits,
    NoPriceOnDate,
    OverlappingPriceValidity,
    ValueAboveHighestBand,
)
from federa.billing.domain.money import format_money, format_quantity, round_half_up
from federa.billing.domain.prices import DatedPrice, price_on


@dataclass(frozen=True)
class PricingBasis:
    """What a calculation may look at for one charged period."""

    price_code: str
    period_start: date
    billed_qty: int
    value_units: int | None
    prices: Sequence[DatedPrice]


@dataclass(frozen=True)
class Calculated:
    quantity: Decimal
    unit_price: Decimal  # minor units; fractional for rates
    amount: int
    rule: str


class PriceCalculation(Protocol):
    def calculate(self, basis: PricingBasis) -> Calculated: ...


@dataclass(frozen=True)
class FixedPrice:
    """Blank method: the dated price valid on the period's start x billed quantity (rule 16)."""

    def calculate(self, basis: PricingBasis) -> Calculated:
        price = price_on(basis.prices, basis.period_start)
        rule = (
            f"price {format_money(price.amount)} valid from {price.from_date} "
            f"(price code {basis.price_code})"
        )
        if basis.billed_qty != 1:
            rule += f" x quantity {basis.billed_qty}"
        return Calculated(
            quantity=Decimal(basis.billed_qty),
            unit_price=Decimal(price.amount),
            amount=price.amount * basis.billed_qty,
            rule=rule,
        )


def _units(basis: PricingBasis) -> int:
    if basis.value_units is None:
        raise MissingValueUnits(
            f"price code {basis.price_code} prices by the member's value units, "
            "and the member has none"
        )
    if basis.value_units < 0:
        raise MissingValueUnits(f"value units cannot be negative ({basis.value_units})")
    return basis.value_units


@dataclass(frozen=True)
class ValueBand:
    max_value: Decimal | None  # None: no upper limit (last band only)
    net_price: int  # minor units per value


@dataclass(frozen=True)
class ValueBands:
    """Rule 17, literal reading (open question SPEC §6.3 item 1, README "Value bands"):
    V = value units x unit value price; the band is the first whose max value covers V; the
    charge is the band's net price x V."""

    unit_value_price: Decimal
    bands: tuple[ValueBand, ...]

    def __post_init__(self) -> None:
        if self.unit_value_price < 0:
            raise InvalidCatalogue("the unit value price cannot be negative")
        if not self.bands:
            raise InvalidCatalogue("value bands need at least one band")
        if any(band.net_price < 0 for band in self.bands):
            raise InvalidCatalogue("a value band's net price cannot be negative")
        limits = [band.max_value for band in self.bands]
        closed = [limit for limit in limits if limit is not None]
        if None in limits[:-1] or closed != sorted(set(closed)):
            raise InvalidCatalogue(
                "value bands must ascend strictly by max value; only the last may be open"
            )

    def calculate(self, basis: PricingBasis) -> Calculated:
        units = _units(basis)
        value = Decimal(units) * self.unit_value_price
        band = next(
            (band for band in self.bands if band.max_value is None or value <= band.max_value),
            None,
        )
        if band is None:
            raise ValueAboveHighestBand(
                f"value {format_quantity(value)} is above the highest value band "
                f"(≤ {format_quantity(self.bands[-1].max_value or 0)})"
            )
        limit = "open" if band.max_value is None else f"≤ {format_quantity(band.max_value)}"
        return Calculated(
            quantity=value,
            unit_price=Decimal(band.net_price),
            amount=round_half_up(Fraction(band.net_price) * Fraction(value)),
            rule=(
                f"value {format_quantity(units)} units x {format_quantity(self.unit_value_price)}"
                f" = {format_quantity(value)}; value band {limit} → "
                f"{format_money(band.net_price)} x {format_quantity(value)}"
            ),
        )


@dataclass(frozen=True)
class PayrollBand:
    min_value: int
    max_value: int | None  # None: no upper limit (last band only)
    price_per_unit: Decimal  # minor units per value unit
    min_dues: int = 0  # only on the price-0 line (SPEC §2.2 rule 18)

    def units_within(self, units: int) -> int:
        """How many of the units 1..`units` fall in this band."""
        top = units if self.max_value is None else min(units, self.max_value)
        return max(0, top - max(self.min_value, 1) + 1)

    def describe(self) -> str:
        top = "" if self.max_value is None else format_quantity(self.max_value)
        return f"{format_quantity(self.min_value)}-{top}"


@dataclass(frozen=True)
class PayrollTable:
    """The payroll bands valid from `from_date`; bands tile 0, 1, 2, … without gaps."""

    from_date: date
    bands: tuple[PayrollBand, ...]

    def __post_init__(self) -> None:
        if not self.bands:
            raise InvalidCatalogue(f"payroll table from {self.from_date} has no bands")
        expected_min = 0
        for index, band in enumerate(self.bands):
            if band.min_value != expected_min:
                raise InvalidCatalogue(
                    f"payroll bands from {self.from_date} must continue at {expected_min}, "
                    f"not {band.min_value}"
                )
            if band.max_value is None:
                if index != len(self.bands) - 1:
                    raise InvalidCatalogue("only the last payroll band may be open")
                break
            if band.max_value < band.min_value:
                raise InvalidCatalogue(f"payroll band {band.describe()} ends before it starts")
            expected_min = band.max_value + 1
        if any(band.price_per_unit < 0 or band.min_dues < 0 for band in self.bands):
            raise InvalidCatalogue("payroll prices and minimum dues cannot be negative")
        if any(band.min_dues and band.price_per_unit for band in self.bands):
            raise InvalidCatalogue("minimum dues belong on the payroll line with price 0")
        if len({band.min_dues for band in self.bands if not band.price_per_unit}) > 1:
            raise InvalidCatalogue("payroll lines with price 0 disagree on the minimum dues")

    def minimum_dues(self) -> int:
        """SPEC §2.2 rule 18 / §5 row 6: the price-0 line must exist, even for a minimum of 0."""
        for band in self.bands:
            if not band.price_per_unit:
                return band.min_dues
        raise MissingMinimumDuesLine(
            f"payroll table from {self.from_date} has no line with price 0 carrying the "
            "minimum dues; add one (minimum 0 if there is none)"
        )


@dataclass(frozen=True)
class PayrollTiers:
    """Rule 18 (*interpretation*): each band's price per unit x the units falling in that band,
    summed; the charge is at least the minimum dues."""

    tables: tuple[PayrollTable, ...]

    def __post_init__(self) -> None:
        dates = [table.from_date for table in self.tables]
        if len(dates) != len(set(dates)):
            raise OverlappingPriceValidity("two payroll tables are valid from the same date")

    def table_on(self, day: date) -> PayrollTable:
        valid = [table for table in self.tables if table.from_date <= day]
        if not valid:
            raise NoPriceOnDate(f"no payroll table is valid on {day}")
        return max(valid, key=lambda table: table.from_date)

    def calculate(self, basis: PricingBasis) -> Calculated:
        table = self.table_on(basis.period_start)
        minimum = table.minimum_dues()
        units = _units(basis)
        total = Fraction(0)
        tiers: list[str] = []
        for band in table.bands:
            within = band.units_within(units)
            if within:
                part = Fraction(within) * Fraction(band.price_per_unit)
                total += part
                tiers.append(
                    f"{band.describe()}: {format_quantity(within)} x "
                    f"{format_money(band.price_per_unit)} = {format_money(round_half_up(part))}"
                )
        tiered = round_half_up(total)
        rule = (
            f"payroll {format_quantity(units)} units, tiers from {table.from_date}: "
            + ("; ".join(tiers) or "no units")
            + f" → {format_money(tiered)}"
        )
        if tiered < minimum:
            rule += f"; minimum dues {format_money(minimum)} applied"
        amount = max(tiered, minimum)
        return Calculated(
            quantity=Decimal(1),
            unit_price=Decimal(amount),
            amount=amount,
            rule=rule,
        )
