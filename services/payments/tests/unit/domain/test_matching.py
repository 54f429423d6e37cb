"""Rules 1, 2 and 9: which payer, which items in which order, or why a person must look."""

from __future__ import annotations

import uuid

from federa.payments.domain.items import payment_order
from federa.payments.domain.matching import (
    Hints,
    Identified,
    Known,
    MatchedBy,
    NamedDocument,
    candidates,
    identify,
)
from federa.payments.domain.outcome import ExceptionReason
from federa.payments.domain.setup import MatchingMode

from .builders import doc, item

PAYER = uuid.uuid4()
OTHER = uuid.uuid4()
KNOWN = Known(
    by_reference={"100000421": NamedDocument(doc("A"), PAYER, True)},
    by_invoice_no={"77": NamedDocument(doc("B"), OTHER, True)},
    payer_by_number={5: OTHER},
)


def test_the_reference_wins_over_invoice_number_and_payer_number() -> None:
    found = identify(Hints(reference="100000421", invoice_no="77", payer_number=5), KNOWN)
    assert (found.payer_id, found.matched_by) == (PAYER, MatchedBy.REFERENCE)


def test_an_unknown_reference_falls_back_to_the_invoice_number_then_the_payer_number() -> None:
    assert identify(Hints(reference="1", invoice_no="77"), KNOWN).matched_by is MatchedBy.INVOICE_NO
    assert identify(Hints(payer_number=5), KNOWN).matched_by is MatchedBy.PAYER_NUMBER


def test_a_payment_nobody_can_be_found_for_goes_to_the_suspense_payer() -> None:
    found = identify(Hints(reference="999", payer_number=6), KNOWN)
    assert found == Identified(None, MatchedBy.SUSPENSE)
    assert candidates(found, MatchingMode.BALANCE, []).refused is ExceptionReason.UNKNOWN_PAYER


def test_open_item_mode_pays_only_the_named_document() -> None:
    found = identify(Hints(reference="100000421"), KNOWN)
    payer_items = [item("B", 100, age=0), item("A", 200, age=5)]
    chosen = candidates(found, MatchingMode.OPEN_ITEM, payer_items)
    assert [i.document_id for i in chosen.items] == [doc("A")]
    assert chosen.reference_payment


def test_open_item_mode_without_a_named_document_waits_for_a_person() -> None:
    found = Identified(PAYER, MatchedBy.PAYER_NUMBER)
    refused = candidates(found, MatchingMode.OPEN_ITEM, [item("A", 100)]).refused
    assert refused is ExceptionReason.NO_DOCUMENT_NAMED


def test_balance_mode_pays_the_oldest_first_whatever_the_reference() -> None:
    found = identify(Hints(reference="100000421"), KNOWN)
    payer_items = [item("A", 200, age=5), item("B", 100, age=0)]
    chosen = candidates(found, MatchingMode.BALANCE, payer_items)
    assert [i.document_id for i in chosen.items] == [doc("B"), doc("A")]


def test_a_reference_to_a_settled_document_is_a_double_payment() -> None:
    settled = Known(by_reference={"100000421": NamedDocument(doc("A"), PAYER, False)})
    found = identify(Hints(reference="100000421"), settled)
    assert candidates(found, MatchingMode.OPEN_ITEM, []).refused is ExceptionReason.PAID_TWICE
    assert candidates(found, MatchingMode.BALANCE, []).refused is ExceptionReason.PAID_TWICE


def test_priority_by_posting_type_comes_before_age() -> None:
    payer_items = [
        item("A", 100, age=0, posting_types=("MAGAZINE",)),
        item("B", 100, age=1, posting_types=("DUES",)),
        item("C", 100, age=2),
        item("D", 100, age=3, posting_types=("DUES", "MAGAZINE")),
    ]
    ordered = payment_order(payer_items, ("DUES", "MAGAZINE"))
    assert [i.document_id for i in ordered] == [doc("B"), doc("D"), doc("A"), doc("C")]
