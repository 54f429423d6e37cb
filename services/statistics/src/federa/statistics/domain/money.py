"""Money for people to read: minor units with thousands separators and the currency."""

from __future__ import annotations


def format_money(minor: int, currency: str = "", *, decimals: int = 2) -> str:
    """450000 DKK → "4,500.00 DKK"; negative amounts keep their sign."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 10**decimals)
    text = f"{sign}{whole:,}.{cents:0{decimals}d}" if decimals else f"{sign}{whole:,}"
    return f"{text} {currency}".strip()


def format_count(value: int) -> str:
    return f"{value:,}"
