"""Gapless numbers in blocks: what one reservation hands out."""

from __future__ import annotations

import pytest

from federa.billing.domain.numbering import NumberBlock, is_gapless


def test_a_reservation_that_left_the_sequence_at_last_holds_the_numbers_before_it() -> None:
    block = NumberBlock.ending_at(last=12, count=5)
    assert (block.first, block.last, list(block)) == (8, 12, [8, 9, 10, 11, 12])


def test_two_blocks_taken_one_after_the_other_continue_without_a_gap() -> None:
    first = NumberBlock.ending_at(last=3, count=3)
    second = NumberBlock.ending_at(last=7, count=4)
    assert is_gapless([*second, *first])


def test_an_empty_block_hands_out_nothing() -> None:
    assert list(NumberBlock(1, 0)) == []


def test_a_block_cannot_start_before_one() -> None:
    with pytest.raises(ValueError, match="no such block"):
        NumberBlock.ending_at(last=2, count=3)


@pytest.mark.parametrize(
    ("numbers", "gapless"),
    [([1, 2, 3], True), ([3, 1, 2], True), ([1, 3], False), ([1, 1, 2], False), ([], True)],
)
def test_gapless_means_one_to_n_each_once(numbers: list[int], gapless: bool) -> None:
    assert is_gapless(numbers) is gapless
