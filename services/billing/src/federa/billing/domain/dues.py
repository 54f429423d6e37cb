"""Simple dues invoicing (SPEC §2.2 rule 38, *Kontingentfakturering*) for tenants without
products: a member's dues class amount invoiced, or credited, at a posting date; the due
date from the tenant's payment terms.

Decisions (README "Dues invoicing"): the member's dues class is its `category` from the
members service (Membra's *Medlemsavgift*), unless the request names a class for the members
it selects; a member with neither, or with a class the tenant has not defined, is reported
and not invoiced. A credit copies the member's latest dues invoice not credited yet (so it
names the invoice it credits); a member without one is credited the class amount on a memo
of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from federa.billing.domain.documents import (
    DocumentDraft,
    DocumentKind,
    DocumentLine,
    LineAccounting,
    due_date,
)
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId

DUES_LINE = "dues"


@dataclass(frozen=True)
class DuesClass:
    code: str
    description: str
    amount: int
    account: str | None = None


@dataclass(frozen=True)
class DuesMember:
    member_id: MemberId
    payer: PayerId | None
    organisation: OrganisationId | None
    category: str | None


def class_for(
    member: DuesMember, classes: dict[str, DuesClass], named: str | None
) -> DuesClass | str:
    """The member's dues class, or why it has none."""
    if member.payer is None:
        return "no-payer-account"
    code = named or member.category
    if code is None:
        return "no-dues-class"
    found = classes.get(code)
    return found if found is not None else "unknown-dues-class"


def dues_line(member: DuesMember, dues: DuesClass) -> DocumentLine:
    return DocumentLine(
        line_no=1,
        kind=DUES_LINE,
        subscription_id=None,
        subscription_no=None,
        member_id=member.member_id,
        product_code=None,
        price_code=None,
        description=dues.description,
        quantity=Decimal(1),
        unit_price=Decimal(dues.amount),
        amount=dues.amount,
        vat_rate=Decimal(0),
        vat_amount=0,
        accounting=LineAccounting(revenue_account=dues.account),
        period_from=None,
        period_to=None,
        branch_organisation=None,
        branch_share=0,
        rule=f"dues class {dues.code} (rule 38)",
    )


def dues_document(
    member: DuesMember,
    dues: DuesClass,
    *,
    kind: DocumentKind,
    posting_date: date,
    payment_terms_days: int,
    document_id: UUID | None = None,
) -> DocumentDraft:
    """An invoice of the class amount, or a memo crediting it without a credited invoice."""
    assert member.payer is not None
    return DocumentDraft(
        id=document_id or uuid.uuid4(),
        kind=kind,
        payer=member.payer,
        member=member.member_id,
        organisation=member.organisation,
        posting_date=posting_date,
        due_date=due_date(posting_date, payment_terms_days),
        lines=(dues_line(member, dues),),
        credit_reason="dues" if kind is DocumentKind.CREDIT_MEMO else None,
    )
