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


# Luhn's doubled digit, its digits summed: 7 → 14 → 5.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_sum(digits: str) -> int:
    """Luhn's sum over `digits`, doubling every second digit from the right, the rightmost
    not (a billing chunk computes hundreds: the general library's version was a twentieth of
    a worker's CPU)."""
    backwards = digits[::-1].encode()
    return sum(b - 48 for b in backwards[0::2]) + sum(_DOUBLED[b - 48] for b in backwards[1::2])


def luhn_check_digit(body: str) -> str:
    """The digit that makes `body` + digit pass Luhn's check."""
    return str(-_luhn_sum(body + "0") % 10)


def payment_reference(series: ReferenceSeries, number: int) -> str:
    """The reference of document `number` in `series`, check digit included."""
    if number < 1:
        raise ValueError(f"document numbers start at 1, not {number}")
    body = f"{int(series)}{number:0{MIN_NUMBER_DIGITS}d}"
    return body + luhn_check_digit(body)


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
    return _luhn_sum(compact) % 10 == 0


def parse_reference(reference: str) -> tuple[ReferenceSeries, int]:
    """The series and document number a valid reference was built from."""
    if not is_valid_reference(reference):
        raise ValueError(f"not a valid payment reference: {reference!r}")
    compact = reference.replace(" ", "")
    return ReferenceSeries(int(compact[0])), int(compact[1:-1])
