"""E-invoicing to public customers (SPEC §2.2 rules 35, 35a-35c; NAV's *Håndtering af EAN*).

A public customer receives its invoices electronically (OIOUBL/OIOXML), addressed by its
GLN/EAN location number. The tenant's setup maps its country and currency to the e-invoice
codes, defines a payment method with a payment channel and no balancing account, and names the
unit of measure of e-invoice lines ("Enhedskode EAN salg"); the payer carries its GLN and that
payment method. Billing fills every field itself; a document missing any of them is never
posted.

Pure: no I/O. The run checks each subscription with `EInvoicePayers.check` and gives each
document its fields with `EInvoicePayers.for_document`; posting checks with `missing_fields`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from federa.billing.domain.documents import DocumentDraft
from federa.billing.domain.errors import BillingRuleError
from federa.billing.domain.subscription import LifecycleKind, SubscriptionState

# OIOUBL addresses a public customer by its GLN: `EndpointID schemeID="GLN"`.
ENDPOINT_SCHEME = "GLN"

# The fields an e-invoice document must carry, in the order a message names them.
REQUIRED_FIELDS = (
    "gln",
    "country_code",
    "currency_code",
    "unit_code",
    "payment_method",
    "payment_channel",
    "external_document_no",
)

_GLN = re.compile(r"[0-9]{13}")

# OIOUBL limits identifiers to 35 characters (the external document number among them).
IDENTIFIER_MAX_LENGTH = 35


class InvalidGln(BillingRuleError):
    code = "invalid-gln"


class EInvoiceIncomplete(BillingRuleError):
    """A document of an e-invoice payer that lacks a required field: not posted (rule 35)."""

    code = "e-invoice-incomplete"

    def __init__(self, message: str, missing: Sequence[str]) -> None:
        super().__init__(message)
        self.missing = tuple(missing)


class InvalidEInvoiceSetup(BillingRuleError):
    code = "invalid-e-invoice-setup"


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of the digits before it: weights 3 and 1 alternate from the
    rightmost digit (GS1 General Specifications §7.9)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def valid_gln(value: str) -> bool:
    return bool(_GLN.fullmatch(value)) and gs1_check_digit(value[:-1]) == int(value[-1])


def normalised_gln(value: str) -> str:
    """The GLN as 13 digits (spaces and dashes as people write them dropped), or InvalidGln."""
    compact = re.sub(r"[\s-]", "", value)
    if not _GLN.fullmatch(compact):
        raise InvalidGln(f"A GLN/EAN number has 13 digits; {value!r} has not.")
    if not valid_gln(compact):
        raise InvalidGln(
            f"GLN/EAN number {compact} has a wrong check digit (expected "
            f"{gs1_check_digit(compact[:-1])})."
        )
    return compact


def payer_reference(value: str | None) -> str | None:
    """A subscription's payer reference (*Reference nr.*) as stored: trimmed, blank is none."""
    return (value or "").strip() or None


@dataclass(frozen=True)
class PaymentMethod:
    """A tenant payment method (*Betalingsform*). An e-invoice method needs a payment channel
    (e.g. bank transfer, *Kontoverførsel*) and **no** balancing account: the public customer
    pays the invoice later, nothing is balanced when it is posted (rule 35a)."""

    code: str
    description: str = ""
    payment_channel: str | None = None
    balancing_account: str | None = None

    @property
    def e_invoice_ready(self) -> bool:
        return bool(self.payment_channel) and not self.balancing_account


@dataclass(frozen=True)
class EInvoiceSetup:
    """The tenant's e-invoice setup (rule 35a)."""

    # The tenant's country code (as on payer addresses) → e-invoice country code.
    country_codes: Mapping[str, str] = field(default_factory=dict)
    # The tenant's currency → e-invoice currency code.
    currency_codes: Mapping[str, str] = field(default_factory=dict)
    payment_methods: Mapping[str, PaymentMethod] = field(default_factory=dict)
    # *Enhedskode EAN salg*: the unit of measure on e-invoice lines.
    sales_unit_code: str | None = None

    def checked(self) -> EInvoiceSetup:
        """The setup, or InvalidEInvoiceSetup when a code is blank."""
        for kind, codes in (("country", self.country_codes), ("currency", self.currency_codes)):
            for source, target in codes.items():
                if not source.strip() or not target.strip():
                    raise InvalidEInvoiceSetup(f"A {kind} code mapping needs both codes.")
        for code, method in self.payment_methods.items():
            if code != method.code or not code.strip():
                raise InvalidEInvoiceSetup(f"Payment method {code!r} needs its own code.")
        return self

    def e_invoice_method(self, code: str) -> PaymentMethod:
        """The payment method a payer may carry for e-invoicing (rule 35b), or an error that
        says why not."""
        method = self.payment_methods.get(code)
        if method is None:
            raise InvalidEInvoiceSetup(f"There is no payment method {code!r} in the setup.")
        if not method.e_invoice_ready:
            raise InvalidEInvoiceSetup(
                f"Payment method {code!r} cannot be an e-invoice method: it needs a payment "
                "channel and no balancing account."
            )
        return method


@dataclass(frozen=True)
class PayerEInvoice:
    """What a payer account contributes (rule 35b), with the country of its address."""

    payer: uuid.UUID
    gln: str | None
    payment_method: str | None
    country_code: str | None

    @property
    def e_invoice_payer(self) -> bool:
        """A payer with a GLN or the e-invoice payment method is invoiced electronically: half
        a setup is an incomplete one, not a paper customer."""
        return bool(self.gln) or bool(self.payment_method)


@dataclass(frozen=True)
class EInvoiceFields:
    """The e-invoice fields of one document, as stored and published."""

    gln: str | None = None
    endpoint_scheme: str = ENDPOINT_SCHEME
    country_code: str | None = None
    currency_code: str | None = None
    unit_code: str | None = None
    payment_method: str | None = None
    payment_channel: str | None = None
    # *Eksternt bilagsnr.*: the payer's reference (subscription `payer_reference`).
    external_document_no: str | None = None

    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in REQUIRED_FIELDS if not getattr(self, name))

    def filled_from(self, other: EInvoiceFields) -> EInvoiceFields:
        """These fields, each blank one taken from `other`."""
        values: dict[str, Any] = {
            name: getattr(self, name) or getattr(other, name) for name in REQUIRED_FIELDS
        }
        return replace(self, **values)


def derive(
    setup: EInvoiceSetup | None,
    payer: PayerEInvoice,
    currency: str,
    external_document_no: str | None,
) -> EInvoiceFields:
    """Rule 35c: every field from the setup and the payer. A payment method that is unknown or
    not fit for e-invoicing (a balancing account, no channel) leaves method and channel blank."""
    setup = setup or EInvoiceSetup()
    method = setup.payment_methods.get(payer.payment_method or "")
    usable = method if method is not None and method.e_invoice_ready else None
    return EInvoiceFields(
        gln=payer.gln,
        country_code=setup.country_codes.get(payer.country_code or ""),
        currency_code=setup.currency_codes.get(currency),
        unit_code=setup.sales_unit_code or None,
        payment_method=None if usable is None else usable.code,
        payment_channel=None if usable is None else usable.payment_channel,
        external_document_no=(external_document_no or "").strip() or None,
    )


def incomplete(fields: EInvoiceFields, what: str) -> EInvoiceIncomplete:
    missing = fields.missing()
    return EInvoiceIncomplete(
        f"{what} is for an e-invoice payer (GLN/EAN) and lacks: {', '.join(missing)}.", missing
    )


def external_reference(references: Iterable[str | None]) -> str | None:
    """The external document number of a document with several subscriptions: their distinct
    payer references in the order given (subscription number), joined with ", ". Every
    subscription of an e-invoice payer has one (the run checks), so none is lost."""
    seen: list[str] = []
    for reference in references:
        value = (reference or "").strip()
        if value and value not in seen:
            seen.append(value)
    return ", ".join(seen) or None


def payers_of(states: Iterable[SubscriptionState]) -> set[uuid.UUID]:
    """Every payer the states may be charged to: the current one and those of payer changes
    (a change dated ahead is in the lifecycle only), so one query covers any period."""
    payers: set[uuid.UUID] = set()
    for state in states:
        payers.add(state.payer)
        for entry in state.lifecycle:
            if entry.kind is LifecycleKind.PAYER_CHANGE:
                payers.update(uuid.UUID(v) for v in (entry.old_value, entry.new_value) if v)
    return payers


@dataclass(frozen=True)
class EInvoicePayers:
    """A chunk's e-invoice payers with the tenant setup: all a run needs, read at once."""

    currency: str
    setup: EInvoiceSetup | None = None
    payers: Mapping[uuid.UUID, PayerEInvoice] = field(default_factory=dict)

    def fields(self, payer: uuid.UUID, external_document_no: str | None) -> EInvoiceFields | None:
        found = self.payers.get(payer)
        if found is None or not found.e_invoice_payer:
            return None
        return derive(self.setup, found, self.currency, external_document_no)

    def check(self, payer: uuid.UUID, payer_reference: str | None, subscription_no: int) -> None:
        """A subscription charged to an e-invoice payer needs a complete document: the setup's
        and the payer's fields, and its own payer reference (the external document number)."""
        fields = self.fields(payer, payer_reference)
        if fields is not None and fields.missing():
            raise incomplete(fields, f"Subscription {subscription_no}'s invoice")

    def for_document(
        self, draft: DocumentDraft, references: Mapping[uuid.UUID, str | None]
    ) -> EInvoiceFields | None:
        charges = sorted(draft.charges, key=lambda c: c.subscription_no)
        reference = external_reference(references.get(c.subscription_id) for c in charges)
        return self.fields(draft.payer, reference)

    def for_documents(
        self, drafts: Sequence[DocumentDraft], references: Mapping[uuid.UUID, str | None]
    ) -> dict[uuid.UUID, EInvoiceFields]:
        if not self.payers:
            return {}
        found = {d.id: self.for_document(d, references) for d in drafts}
        return {k: v for k, v in found.items() if v is not None}
