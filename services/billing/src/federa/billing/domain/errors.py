"""Domain errors of billing (SPEC §2.2).

Each error has a stable machine-readable `code`; the HTTP layer renders it as the problem+json
`type`, and a billing run writes it to its error log (SPEC §2.2 rule 30).
"""

from __future__ import annotations


class BillingRuleError(Exception):
    """A command or a charge that the billing rules refuse."""

    code = "billing-rule"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBillingTerm(BillingRuleError):
    code = "invalid-billing-term"


class ImpossibleDates(BillingRuleError):
    code = "impossible-dates"


class InvalidQuantity(BillingRuleError):
    code = "invalid-quantity"


class InvalidCatalogue(BillingRuleError):
    """A catalogue definition that can never price correctly (bands, codes, percentages)."""

    code = "invalid-catalogue"


class OverlappingPriceValidity(BillingRuleError):
    code = "overlapping-price-validity"


class NoPriceOnDate(BillingRuleError):
    code = "no-price-on-date"


class UnknownProduct(BillingRuleError):
    code = "unknown-product"


class UnknownPriceCode(BillingRuleError):
    code = "unknown-price-code"


class MissingReasonCode(BillingRuleError):
    code = "missing-reason-code"


class MissingValueUnits(BillingRuleError):
    code = "missing-value-units"


class ValueBandsNotEnabled(BillingRuleError):
    code = "value-bands-not-enabled"


class ValueAboveHighestBand(BillingRuleError):
    code = "value-above-highest-band"


class MissingMinimumDuesLine(BillingRuleError):
    code = "missing-minimum-dues-line"


class MissingBirthDate(BillingRuleError):
    code = "missing-birth-date"


class MissingProductPeriods(BillingRuleError):
    code = "missing-product-periods"


class FromDateRequired(BillingRuleError):
    code = "from-date-required"


class PrerequisiteProductMissing(BillingRuleError):
    code = "prerequisite-product-missing"


class StopReasonRequired(BillingRuleError):
    code = "stop-reason-required"


class PriceChangeInsideBilledPeriod(BillingRuleError):
    code = "price-change-inside-billed-period"


class SubscriptionNotActive(BillingRuleError):
    code = "subscription-not-active"


class SubscriptionNotStopped(BillingRuleError):
    code = "subscription-not-stopped"


class CannotDelete(BillingRuleError):
    code = "cannot-delete"


class NothingToChange(BillingRuleError):
    code = "nothing-to-change"


class ChargeOutOfSequence(BillingRuleError):
    code = "charge-out-of-sequence"


class NoOwnPayerAccount(BillingRuleError):
    code = "no-own-payer-account"
