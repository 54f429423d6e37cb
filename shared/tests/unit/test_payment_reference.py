"""Payment references with a Luhn (mod 10) check digit, as billing issues and payments checks
them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from federa.shared.payment_reference import (
    ReferenceSeries,
    is_valid_reference,
    luhn_check_digit,
    parse_reference,
    payment_reference,
)


def test_invoice_one_has_the_luhn_digit_computed_by_hand() -> None:
    """Series 1, number 0000001: body 10000001. Luhn doubles every second digit from the
    right of the body: the last 1 → 2, and zeros; the first 1 stays. Sum 2 + 1 = 3, so the
    check digit is 10 - 3 = 7."""
    assert payment_reference(ReferenceSeries.INVOICE, 1) == "100000017"


def test_numbers_beyond_seven_digits_make_a_longer_reference() -> None:
    reference = payment_reference(ReferenceSeries.ORDER, 123_456_789)
    assert reference.startswith("2123456789")
    assert len(reference) == 11
    assert parse_reference(reference) == (ReferenceSeries.ORDER, 123_456_789)


@pytest.mark.parametrize(
    "bad",
    ["100000018", "100000071", "10000001", "", "1000 0001 x", "900000017", "\uff1100000017"],
)
def test_a_wrong_digit_swapped_digits_or_a_wrong_shape_are_refused(bad: str) -> None:
    assert not is_valid_reference(bad)


def test_spaces_people_type_are_ignored() -> None:
    assert is_valid_reference("1000 0001 7")


def test_a_document_number_starts_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        payment_reference(ReferenceSeries.INVOICE, 0)


@given(
    series=st.sampled_from(list(ReferenceSeries)),
    number=st.integers(min_value=1, max_value=10**15),
    position=st.integers(min_value=0, max_value=30),
    digit=st.integers(min_value=1, max_value=9),
)
def test_every_single_digit_error_is_caught(
    series: ReferenceSeries, number: int, position: int, digit: int
) -> None:
    reference = payment_reference(series, number)
    assert parse_reference(reference) == (series, number)
    index = position % len(reference)
    wrong = str((int(reference[index]) + digit) % 10)
    typo = reference[:index] + wrong + reference[index + 1 :]
    assert not is_valid_reference(typo)


@given(body=st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_the_check_digit_is_the_standard_luhn_digit(body: str) -> None:
    assert luhn_check_digit(body) == luhn.calc_check_digit(body)
    assert luhn.is_valid(body + luhn_check_digit(body))
