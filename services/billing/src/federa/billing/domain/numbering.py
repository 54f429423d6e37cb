"""Gapless document numbers taken in blocks (SPEC §0 *Nummerserie*; Nordic bookkeeping law
wants invoice numbers without gaps).

A chunk transaction that issues n documents reserves n numbers with one
`UPDATE … SET last = last + n RETURNING last` just before it commits, so the sequence row is
locked only for the end of that transaction, and a chunk that rolls back returns its block
with it. The block is then handed out in the documents' order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberBlock:
    """Numbers `first` … `last`, inclusive, reserved by one transaction."""

    first: int
    count: int

    def __post_init__(self) -> None:
        if self.first < 1 or self.count < 0:
            raise ValueError(f"no such block: {self.count} numbers from {self.first}")

    @classmethod
    def ending_at(cls, last: int, count: int) -> NumberBlock:
        """The block a reservation of `count` returned when the sequence now stands at `last`."""
        return cls(last - count + 1, count)

    @property
    def last(self) -> int:
        return self.first + self.count - 1

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.first + self.count))


def is_gapless(numbers: list[int]) -> bool:
    """True when `numbers` are exactly 1 … n, each once (in any order)."""
    return sorted(numbers) == list(range(1, len(numbers) + 1))
