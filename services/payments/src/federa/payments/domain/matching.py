"""Payer resolution and matching (SPEC §2.3 rules 1, 2, 9; flow F4 step 1), without I/O.

The use case looks up what the payment's hints point at (`Known`) and `match` decides: which
payer, which items in which order, or why a person must look at it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from federa.payments.domain.items import OpenItem, payment_order
from federa.payments.domain.outcome import ExceptionReason
from federa.payments.domain.setup import MatchingMode


class MatchedBy(StrEnum):
    REFERENCE = "reference"
    INVOICE_NO = "invoice_no"
    PAYER_NUMBER = "payer_number"
    MEMBER = "member"
    SUSPENSE = "suspense"


@dataclass(frozen=True)
class Hints:
    """What a payment says about itself: a structured reference (check digit already
    verified), an invoice number, a payer number, a member (manual entries)."""

    reference: str | None = None
    invoice_no: str | None = None
    payer_number: int | None = None
    member_payer_id: UUID | None = None


@dataclass(frozen=True)
class NamedDocument:
    document_id: UUID
    payer_id: UUID
    open: bool


@dataclass(frozen=True)
class Known:
    by_reference: Mapping[str, NamedDocument] = field(default_factory=dict)
    by_invoice_no: Mapping[str, NamedDocument] = field(default_factory=dict)
    payer_by_number: Mapping[int, UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class Identified:
    payer_id: UUID | None
    matched_by: MatchedBy
    document: NamedDocument | None = None


def identify(hints: Hints, known: Known) -> Identified:
    """Rule 1, most specific first: reference, invoice number, payer number, the member's
    payer; otherwise the suspense payer (None)."""
    if hints.reference and (doc := known.by_reference.get(hints.reference)):
        return Identified(doc.payer_id, MatchedBy.REFERENCE, doc)
    if hints.invoice_no and (doc := known.by_invoice_no.get(hints.invoice_no)):
        return Identified(doc.payer_id, MatchedBy.INVOICE_NO, doc)
    if hints.payer_number is not None and (payer := known.payer_by_number.get(hints.payer_number)):
        return Identified(payer, MatchedBy.PAYER_NUMBER)
    if hints.member_payer_id is not None:
        return Identified(hints.member_payer_id, MatchedBy.MEMBER)
    return Identified(None, MatchedBy.SUSPENSE)


@dataclass(frozen=True)
class Candidates:
    """The items to pay, in order, or the reason nothing can be paid automatically."""

    items: tuple[OpenItem, ...] = ()
    refused: ExceptionReason | None = None
    reference_payment: bool = False


def candidates(
    identified: Identified,
    mode: MatchingMode,
    payer_items: Sequence[OpenItem],
    *,
    priority: Sequence[str] = (),
) -> Candidates:
    """Rule 2: in open-item mode only the named document; in balance mode every open item of
    the payer, oldest first (rule 9's priority by posting type first), whatever the reference.
    A named document that is already settled means the payer paid twice."""
    if identified.payer_id is None:
        return Candidates(refused=ExceptionReason.UNKNOWN_PAYER)
    named = identified.document
    by_reference = identified.matched_by is MatchedBy.REFERENCE
    if mode is MatchingMode.BALANCE:
        if named is not None and not named.open and not any(i.remaining for i in payer_items):
            return Candidates(refused=ExceptionReason.PAID_TWICE)
        return Candidates(tuple(payment_order(payer_items, priority)))
    if named is None:
        return Candidates(refused=ExceptionReason.NO_DOCUMENT_NAMED)
    if not named.open:
        return Candidates(refused=ExceptionReason.PAID_TWICE)
    items = tuple(i for i in payer_items if i.document_id == named.document_id and i.remaining)
    if not items:
        return Candidates(refused=ExceptionReason.PAID_TWICE)
    return Candidates(items, reference_payment=by_reference)
