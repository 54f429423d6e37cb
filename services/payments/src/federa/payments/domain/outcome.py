"""What applying one payment decided: allocations, write-offs, gift, and what a person must
resolve. Money is conserved: allocations + gift + exception = the payment."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class ExceptionReason(StrEnum):
    """Why a payment (or its rest) waits in the exceptions queue (rule 8, rule 10)."""

    UNKNOWN_PAYER = "unknown_payer"
    NO_DOCUMENT_NAMED = "no_document_named"
    PARTIAL_PAYMENT = "partial_payment"
    OVERPAYMENT = "overpayment"
    PAID_TWICE = "paid_twice"
    REMINDER_FEE_INCLUDED = "reminder_fee_included"
    REMAINDER = "remainder"
    NOTHING_OPEN = "nothing_open"
    # A person reversed the payment's applications: its money waits to be applied again.
    REVERSED = "reversed"


@dataclass(frozen=True)
class Allocation:
    document_id: UUID
    amount: int
    # Written off on the same item because the shortfall was within the limit or tolerance.
    written_off: int = 0
    # limit | tolerance | exception_resolution: the rule (or person) that forgave it.
    writeoff_reason: str | None = None


@dataclass(frozen=True)
class Application:
    payment: int
    allocations: tuple[Allocation, ...] = ()
    gift: int = 0
    exception: int = 0
    reason: ExceptionReason | None = None

    @property
    def applied(self) -> int:
        return sum(a.amount for a in self.allocations)

    @property
    def written_off(self) -> int:
        return sum(a.written_off for a in self.allocations)

    def __post_init__(self) -> None:
        if self.applied + self.gift + self.exception != self.payment:
            raise ValueError(f"money not conserved: {self}")
        if (self.exception > 0) != (self.reason is not None):
            raise ValueError(f"an exception needs a reason and an amount: {self}")


def exception_only(amount: int, reason: ExceptionReason) -> Application:
    """Nothing is posted: the whole payment waits for a person."""
    return Application(payment=amount, exception=amount, reason=reason)
