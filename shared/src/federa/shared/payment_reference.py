"""Payment references: the numeric reference a payer quotes, checked by a mod-10 digit.

Billing builds one for every document it issues; payments validates references on incoming
payments with the same function before it tries to match them. The shape is the Nordic one
(Norwegian KID, Danish FIK/+71, Swedish OCR in its mod-10 form): digits only, the last one a
Luhn check digit over the rest, so a mistyped digit or two swapped neighbours are caught.

    <series digit><document number, at least 7 digits><check digit>

The series digit keeps an order and an invoice with the same number apart; numbers are padded
so every reference of a young tenant has the same length, and grow beyond 7 digits as needed.
"""

from __future__ import annotations

from enum import IntEnum

from stdnum import luhn

MIN_NUMBER_DIGITS = 7
# Long enough for any 64-bit number after the series digit, short enough for bank formats
# (KID allows 25 digits, FIK 15, OCR 25).
MAX_LENGTH = 25


class ReferenceSeries(IntEnum):
    """The first digit: which number sequence the number belongs to."""

    INVOICE = 1
    ORDER = 2
    DRAFT_INVOICE = 3
    CREDIT_MEMO = 4


def payment_reference(series: ReferenceSeries, number: int) -> str:
    """The reference of document `number` in `series`, check digit included."""
    if number < 1:
        raise ValueError(f"document numbers start at 1, not {number}")
    body = f"{int(series)}{number:0{MIN_NUMBER_DIGITS}d}"
    return body + luhn.calc_check_digit(body)


def is_valid_reference(reference: str) -> bool:
    """True when `reference` has the shape above and its check digit is right; spaces, which
    people type to group digits, are ignored."""
    compact = reference.replace(" ", "")
    if not compact.isascii() or not compact.isdigit():
        return False
    if not MIN_NUMBER_DIGITS + 2 <= len(compact) <= MAX_LENGTH:
        return False
    if compact[0] not in {str(int(s)) for s in ReferenceSeries}:
        return False
    return luhn.is_valid(compact)


def parse_reference(reference: str) -> tuple[ReferenceSeries, int]:
    """The series and document number a valid reference was built from."""
    if not is_valid_reference(reference):
        raise ValueError(f"not a valid payment reference: {reference!r}")
    compact = reference.replace(" ", "")
    return ReferenceSeries(int(compact[0])), int(compact[1:-1])
