"""What every payment source produces: entries ready for matching, or a rejection that names
the entry, the line and the field. One port, several adapters (`camt`, `bgmax`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class BankEntry:
    """One incoming payment as the file states it; amounts in minor units."""

    entry_no: int
    amount: int
    currency: str
    value_date: date
    booking_date: date | None = None
    # The bank's own id of the entry: the same payment in two files is imported once.
    bank_reference: str | None = None
    # A structured reference whose check digit was verified by the adapter.
    reference: str | None = None
    invoice_no: str | None = None
    payer_number: int | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    description: str | None = None
    fee: int = 0
    line: int | None = None


@dataclass(frozen=True)
class Problem:
    """One reason a file is refused: where (entry number, line) and which field."""

    message: str
    entry: int | None = None
    line: int | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "entry": self.entry,
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True)
class PaymentFile:
    format: str
    currency: str
    entries: tuple[BankEntry, ...]
    # Entries in the file that are not incoming payments (debits, pending, reversals).
    skipped: tuple[Problem, ...] = field(default=())

    @property
    def amount(self) -> int:
        return sum(e.amount for e in self.entries)

    @property
    def fees(self) -> int:
        return sum(e.fee for e in self.entries)


class FileRejected(Exception):
    """The file cannot be imported; nothing from it is applied."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems[:5]))
        self.problems = problems


Parser = Callable[[bytes, str], PaymentFile]
