"""Money arithmetic: integer minor units, exact fractions, one rounding rule.

Amounts are integer minor units (ARCHITECTURE "Money"). Rates, percentages and pro-rata factors
are computed exactly with `Fraction` and rounded once, half up, to the minor unit (README
"Rounding"). Texts for staff assume a currency with two decimals (DKK, SEK, NOK, EUR).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def round_half_up(value: Fraction) -> int:
    """Round to the nearest minor unit; halves away from zero (0.5 → 1, -0.5 → -1)."""
    if value < 0:
        return -round_half_up(-value)
    return int((value * 2 + 1) // 2)


def percent_of(amount: int, percent: Decimal) -> int:
    return round_half_up(Fraction(amount) * Fraction(percent) / 100)


def format_money(minor: int | Decimal) -> str:
    """`45000` → `450.00`, `150000` → `1 500.00`; a fractional rate `Decimal('0.5')` → `0.005`."""
    major = Decimal(minor) / 100
    if major == major.quantize(Decimal("0.01")):
        major = major.quantize(Decimal("0.01"))
    sign = "-" if major < 0 else ""
    whole, _, fraction = f"{abs(major):f}".partition(".")
    return f"{sign}{_group(whole)}.{fraction or '00'}"


def format_quantity(value: int | Decimal) -> str:
    """`200001` → `200 001`; `Decimal('7.50')` → `7.5`."""
    number = Decimal(value).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    sign = "-" if number < 0 else ""
    whole, dot, fraction = f"{abs(number):f}".partition(".")
    return f"{sign}{_group(whole)}{dot}{fraction}"


def _group(digits: str) -> str:
    return f"{int(digits):,}".replace(",", " ")
