"""What a free-text remittance line says about the payment: a payment reference, an invoice
number, a payer number. People write "Faktura 1234", "inv. no 1234", "kundenr 88"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from federa.shared.payment_reference import is_valid_reference

_REFERENCE = re.compile(r"(?<!\d)(\d{9,25})(?!\d)")
_INVOICE = re.compile(
    r"(?:invoice|inv|faktura|fakt|bilag)\.?\s*(?:no\.?|nr\.?|#)?\s*(\d{1,18})", re.I
)
_PAYER = re.compile(
    r"(?:payer|customer|kunde|debitor|kund)\s*(?:no\.?|nr\.?|#)?\s*(\d{1,18})", re.I
)


@dataclass(frozen=True)
class TextHints:
    reference: str | None = None
    invoice_no: str | None = None
    payer_number: int | None = None


def hints_from_text(text: str | None) -> TextHints:
    if not text:
        return TextHints()
    reference = next((m for m in _REFERENCE.findall(text) if is_valid_reference(m)), None)
    invoice = _INVOICE.search(text)
    payer = _PAYER.search(text)
    return TextHints(
        reference=reference,
        invoice_no=invoice.group(1) if invoice else None,
        payer_number=int(payer.group(1)) if payer else None,
    )
