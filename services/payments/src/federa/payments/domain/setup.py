"""The tenant's application setup (SPEC §2.3 *Application setup*, rules 3-10).

Plain values: the use cases load them from storage and hand them to `strategies.apply_payment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Strategy(StrEnum):
    """SPEC §1.3 *Udligningsmetode*: how one payment is spread over a payer's open items."""

    SINGLE_CHARGE = "single_charge"  # En post pr. indbetaling (rule 3)
    WHOLE_DOCUMENT = "whole_document"  # Hele bilag (rule 4)
    AS_MUCH_AS_POSSIBLE = "as_much_as_possible"  # Mest muligt (rule 5)
    WHOLE_DOCUMENTS_AS_POSSIBLE = "whole_documents_as_possible"  # Mest muligt hele bilag (6)


class Overpayment(StrEnum):
    GIFT = "gift"
    EXCEPTION = "exception"


class Underpayment(StrEnum):
    WRITE_OFF = "write_off"
    EXCEPTION = "exception"


class MatchingMode(StrEnum):
    """Rule 2: *open item* applies only to a named document; *balance* to the oldest first."""

    OPEN_ITEM = "open_item"
    BALANCE = "balance"


class SourceKind(StrEnum):
    """The key of the per-source setup (SPEC *Betalingsmetode*)."""

    MANUAL = "manual"
    BANK = "bank"
    DIRECT_DEBIT = "direct_debit"


@dataclass(frozen=True)
class SourceSetup:
    strategy: Strategy = Strategy.AS_MUCH_AS_POSSIBLE
    overpayment: Overpayment = Overpayment.GIFT
    underpayment: Underpayment = Underpayment.WRITE_OFF


@dataclass(frozen=True)
class Tolerance:
    """Rule 10 (Membra *Betalningstolerans*): how far a reference payment may fall short of its
    document and still count as full payment. The source gives no unit, so both: the larger
    of an absolute amount and a percentage of the open amount."""

    amount: int = 0
    percent: Decimal = Decimal(0)

    def allows(self, shortfall: int, open_amount: int) -> bool:
        by_percent = Decimal(open_amount) * self.percent / 100
        return shortfall <= max(Decimal(self.amount), by_percent)


@dataclass(frozen=True)
class Rules:
    """Everything `apply_payment` needs for one payment: its source's setup and the tenant's
    write-off limit and tolerance."""

    source: SourceSetup = field(default_factory=SourceSetup)
    writeoff_enabled: bool = False
    writeoff_max: int = 0
    tolerance: Tolerance | None = None
    # Membra: "reminder fee included" is a deviant payment; an excess of exactly this fee
    # waits for a person rather than becoming a gift. 0: no reminder fee.
    reminder_fee: int = 0

    def forgives(self, shortfall: int, open_amount: int, *, reference_payment: bool) -> bool:
        """Rule 8 and 10: may `shortfall` of an item be written off?"""
        return (
            self.forgiven_by(shortfall, open_amount, reference_payment=reference_payment)
            is not None
        )

    def forgiven_by(
        self, shortfall: int, open_amount: int, *, reference_payment: bool
    ) -> str | None:
        """Which rule forgives `shortfall`: "limit" (rule 8), "tolerance" (rule 10), or None."""
        if shortfall <= 0:
            return "limit"
        if (
            self.writeoff_enabled
            and self.source.underpayment is Underpayment.WRITE_OFF
            and shortfall <= self.writeoff_max
        ):
            return "limit"
        if (
            reference_payment
            and self.tolerance is not None
            and self.tolerance.allows(shortfall, open_amount)
        ):
            return "tolerance"
        return None


@dataclass(frozen=True)
class ApplicationSetup:
    """The tenant's whole setup; `rules_for` picks one payment source's part."""

    sources: dict[SourceKind, SourceSetup] = field(default_factory=dict)
    writeoff_enabled: bool = False
    writeoff_max: int = 0
    tolerance: Tolerance | None = None
    default_matching_mode: MatchingMode = MatchingMode.OPEN_ITEM
    # Rule 9: posting types in the order their items are paid (balance matching only).
    priority: tuple[str, ...] = ()
    gift_posting_type: str = "GIFT"
    reminder_fee: int = 0

    def rules_for(self, source: SourceKind) -> Rules:
        return Rules(
            source=self.sources.get(source, SourceSetup()),
            writeoff_enabled=self.writeoff_enabled,
            writeoff_max=self.writeoff_max,
            tolerance=self.tolerance,
            reminder_fee=self.reminder_fee,
        )
