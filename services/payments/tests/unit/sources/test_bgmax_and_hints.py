"""The BgMax adapter's records and the hints people write in free text."""

from __future__ import annotations

import pytest

from federa.payments.domain.text_hints import hints_from_text
from federa.payments.sources.bgmax import parse_bgmax
from federa.payments.sources.model import FileRejected
from federa.payments.sources.samples import SamplePayment, bgmax


def test_a_bgmax_deposit_gives_one_entry_per_payment_record() -> None:
    file = parse_bgmax(
        bgmax([SamplePayment(45000, reference="100000421"), SamplePayment(100, text="Inv 7")]),
        "SEK",
    )
    assert [(e.amount, e.reference, e.invoice_no) for e in file.entries] == [
        (45000, "100000421", None),
        (100, None, "7"),
    ]
    assert [e.bank_reference for e in file.entries] == ["BGC000000000001", "BGC000000000002"]


def test_an_ocr_reference_bankgirot_accepted_must_pass_our_check_digit() -> None:
    with pytest.raises(FileRejected) as refused:
        parse_bgmax(bgmax([SamplePayment(100, reference="100000422")]), "SEK")
    assert [(p.entry, p.line, p.field) for p in refused.value.problems] == [
        (1, 3, "TK20 reference")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Faktura 1234", (None, "1234", None)),
        ("inv. no 55 kundenr 12", (None, "55", 12)),
        ("ref 100000421 thanks", ("100000421", None, None)),
        ("ref 100000422 thanks", (None, None, None)),  # bad check digit: not a reference
        ("Customer #9", (None, None, 9)),
        (None, (None, None, None)),
    ],
)
def test_free_text_hints(text: str | None, expected: tuple[object, ...]) -> None:
    hints = hints_from_text(text)
    assert (hints.reference, hints.invoice_no, hints.payer_number) == expected
