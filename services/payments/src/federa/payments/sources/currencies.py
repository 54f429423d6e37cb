"""ISO 4217 currencies with their minor-unit exponents (active codes, 2026).

A fixed table: the list changes a few times a decade, and a file in an unknown currency must
be refused rather than guessed at.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG"
)
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_THREE.split(), 3),
}


class AmountError(ValueError):
    pass


def is_currency(code: str) -> bool:
    return code in EXPONENTS


def minor_units(text: str, currency: str) -> int:
    """`"123.45"` in DKK → 12345. Refuses negatives, more decimals than the currency has,
    and anything that is not a plain decimal number."""
    raw = text.strip()
    if raw.startswith("-"):
        raise AmountError(f"negative amount {raw!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise AmountError(f"not an amount: {raw!r}") from exc
    if not value.is_finite():
        raise AmountError(f"not an amount: {raw!r}")
    scaled = value.scaleb(EXPONENTS[currency])
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{raw} has more decimals than {currency} allows")
    return int(scaled)
