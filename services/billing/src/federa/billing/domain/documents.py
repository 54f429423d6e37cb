"""Documents a run issues from its charges (SPEC §2.2 rules 27-28, *Document*): grouping,
the kind the tenant's invoicing mode asks for, VAT per line, totals and the due date.

Pure: numbers and payment references are given later, when the transaction reserves them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from uuid import UUID

from federa.billing.domain.deferral import DeferralSchedule
from federa.billing.domain.grouping import DocumentGrouping, GroupKey, group_key
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.money import round_half_up
from federa.billing.domain.quote import LineKind, QuoteLine, SettlementLine
from federa.shared.payment_reference import ReferenceSeries


class DocumentKind(Enum):
    ORDER = "order"
    DRAFT_INVOICE = "draft_invoice"
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"

    @property
    def reference_series(self) -> ReferenceSeries:
        return {
            DocumentKind.ORDER: ReferenceSeries.ORDER,
            DocumentKind.DRAFT_INVOICE: ReferenceSeries.DRAFT_INVOICE,
            DocumentKind.INVOICE: ReferenceSeries.INVOICE,
            DocumentKind.CREDIT_MEMO: ReferenceSeries.CREDIT_MEMO,
        }[self]

    @property
    def posted_on_issue(self) -> bool:
        return self in (DocumentKind.INVOICE, DocumentKind.CREDIT_MEMO)


class InvoicingMode(Enum):
    """Rule 28: *automatic* posts invoices, *manual* leaves drafts to post, *orders* issues
    payment requests that become invoices when paid."""

    INVOICE = "invoice"
    DRAFT_INVOICE = "draft_invoice"
    ORDER = "order"

    @property
    def document_kind(self) -> DocumentKind:
        return DocumentKind(self.value)


# DocumentLineV1.kind
LINE_KINDS: Mapping[LineKind, str] = {
    LineKind.PRODUCT: "charge",
    LineKind.POSTAGE: "postage",
    LineKind.GIFT: "gift",
}


@dataclass(frozen=True)
class LineAccounting:
    """What a product's lines are posted with. Decision: VAT 0 unless the tenant sets a rate
    for the product, because membership dues are exempt in the Nordic countries (a magazine
    subscription sold on its own may not be)."""

    vat_rate: Decimal = Decimal(0)
    posting_type: str | None = None
    revenue_account: str | None = None
    dimension_1: str | None = None
    dimension_2: str | None = None
    # Rule 33 (README "Revenue deferral"): the accounts a line sits on until recognised.
    deferral_account: str | None = None
    postage_deferral_account: str | None = None
    deferral_schedule: DeferralSchedule = DeferralSchedule.NONE

    def deferral_account_for(self, line_kind: str) -> str | None:
        """The account a line of `line_kind` is deferred on; None posts it to revenue."""
        if self.deferral_schedule is DeferralSchedule.NONE:
            return None
        return self.postage_deferral_account if line_kind == "postage" else self.deferral_account


NO_VAT = LineAccounting()


def vat_of(amount: int, rate: Decimal) -> int:
    """VAT on a net amount, rounded once, half up (README "Rounding")."""
    return round_half_up(Fraction(amount) * Fraction(rate) / 100)


@dataclass(frozen=True)
class Charge:
    """One subscription's charge for one period, as the quote priced it."""

    subscription_id: UUID
    subscription_no: int
    member_id: MemberId
    payer: PayerId
    organisation: OrganisationId | None
    period_from: date
    period_to: date
    lines: tuple[QuoteLine, ...]
    settlements: tuple[SettlementLine, ...] = ()

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class DocumentLine:
    line_no: int
    kind: str
    subscription_id: UUID | None
    subscription_no: int | None
    member_id: MemberId | None
    product_code: str | None
    price_code: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: int  # ex VAT
    vat_rate: Decimal
    vat_amount: int
    accounting: LineAccounting
    period_from: date | None
    period_to: date | None
    branch_organisation: OrganisationId | None
    branch_share: int
    rule: str | None = None
    # Rule 33: the line's amount sits on this account until recognised (revenue_account).
    deferral_account: str | None = None


@dataclass(frozen=True)
class DocumentDraft:
    """A document before it has a number: what the transaction stores."""

    id: UUID
    kind: DocumentKind
    payer: PayerId
    member: MemberId | None
    organisation: OrganisationId | None
    posting_date: date
    due_date: date
    lines: tuple[DocumentLine, ...]
    # The charges behind it, for the billing log.
    charges: tuple[Charge, ...] = field(default=())
    # Credit memos: the document credited and why.
    credits: UUID | None = None
    credit_reason: str | None = None

    @property
    def net_amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def vat_amount(self) -> int:
        return sum(line.vat_amount for line in self.lines)

    @property
    def total_amount(self) -> int:
        return self.net_amount + self.vat_amount


def due_date(posting_date: date, payment_terms_days: int) -> date:
    return posting_date + timedelta(days=payment_terms_days)


def _lines_of(
    charge: Charge,
    first_line_no: int,
    accounting: Mapping[str, LineAccounting],
    gift_posting_type: str | None,
) -> list[DocumentLine]:
    lines = []
    # Rule 34: the branch's share is stamped on the product line, the one it is a share of.
    share = charge.settlements[0] if charge.settlements else None
    for offset, line in enumerate(charge.lines):
        posting = accounting.get(line.product, NO_VAT)
        if line.kind is LineKind.GIFT:
            # A gift is a donation, not a sale: no VAT, the tenant's gift posting type.
            posting = LineAccounting(posting_type=gift_posting_type)
        product_line = line.kind is LineKind.PRODUCT
        lines.append(
            DocumentLine(
                line_no=first_line_no + offset,
                kind=LINE_KINDS[line.kind],
                subscription_id=charge.subscription_id,
                subscription_no=charge.subscription_no,
                member_id=charge.member_id,
                product_code=line.product,
                price_code=line.price_code,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
                vat_rate=posting.vat_rate,
                vat_amount=vat_of(line.amount, posting.vat_rate),
                accounting=posting,
                period_from=line.period_from,
                period_to=line.period_to,
                branch_organisation=(
                    share.organisation if share is not None else charge.organisation
                ),
                branch_share=share.amount if share is not None and product_line else 0,
                rule=line.rule,
                deferral_account=posting.deferral_account_for(LINE_KINDS[line.kind]),
            )
        )
    return lines


def common_organisation(charges: Sequence[Charge]) -> OrganisationId | None:
    """The document's organisation: its charges' one branch, or none when they differ."""
    found = {charge.organisation for charge in charges}
    return found.pop() if len(found) == 1 else None


def build_documents(
    charges: Sequence[Charge],
    *,
    grouping: DocumentGrouping,
    mode: InvoicingMode,
    posting_date: date,
    payment_terms_days: int,
    accounting: Mapping[str, LineAccounting],
    gift_posting_type: str | None,
    ids: Sequence[UUID] | None = None,
) -> list[DocumentDraft]:
    """One document per group of charges (rule 27), of the kind the mode issues (rule 28).

    Charges without lines (free price codes, rule 19) make no document. Documents come out in
    the order of their first charge, lines in the order of the charges; `ids` (one per
    document, in that order) lets the caller choose the documents' ids. A document names a
    member when all its charges are that member's (per payer across members it names none).
    """
    groups: dict[GroupKey, list[Charge]] = {}
    for charge in charges:
        if not charge.lines:
            continue
        key = group_key(
            grouping,
            subscription=charge.subscription_id,
            payer=charge.payer,
            member=charge.member_id,
        )
        groups.setdefault(key, []).append(charge)
    if ids is not None and len(ids) < len(groups):
        raise ValueError(f"{len(groups)} documents need as many ids, not {len(ids)}")
    documents = []
    for index, grouped in enumerate(groups.values()):
        lines: list[DocumentLine] = []
        for charge in grouped:
            lines.extend(_lines_of(charge, len(lines) + 1, accounting, gift_posting_type))
        members = {charge.member_id for charge in grouped}
        documents.append(
            DocumentDraft(
                id=ids[index] if ids is not None else uuid.uuid4(),
                kind=mode.document_kind,
                payer=grouped[0].payer,
                member=members.pop() if len(members) == 1 else None,
                organisation=common_organisation(grouped),
                posting_date=posting_date,
                due_date=due_date(posting_date, payment_terms_days),
                lines=tuple(lines),
                charges=tuple(grouped),
            )
        )
    return documents
