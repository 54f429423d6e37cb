"""Recruitment gifts (SPEC §2.2 rule 39, *Hvervegave*; MM 2013 §9.8 *Udlæs Hvervegaveliste*):
which item a recruitment earns, who receives it, when a paid charge makes it due, the export's
file, and the zero-value invoice that takes the item out of stock.

Pure: the I/O is `federa.billing.recruitment`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from federa.billing.domain.documents import NO_VAT, DocumentDraft, DocumentKind, DocumentLine
from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId

# DocumentLineV1.kind of the zero-value invoice's one line.
GIFT_LINE_KIND = "recruitment_gift"


class Recipient(Enum):
    RECRUITER = "recruiter"
    RECRUIT = "recruit"


@dataclass(frozen=True)
class GiftChannel:
    """An acquisition channel's gift setup (*Oprettelsesårsagskode*: *Varenr.*, *Udfyld MTM
    Vare Medlemsnr.*)."""

    code: str
    gift_item_no: str | None = None
    gift_to_new_member: bool = False


@dataclass(frozen=True)
class Recruitment:
    """A subscription's `recruited_by_member` and `recruitment_gift_item`."""

    recruit: MemberId
    recruiter: MemberId
    gift_item: str | None = None


@dataclass(frozen=True)
class GiftTerms:
    gift_item_no: str
    recipient: Recipient
    recipient_member: MemberId

    @property
    def gift_to_new_member(self) -> bool:
        return self.recipient is Recipient.RECRUIT


def gift_terms(recruitment: Recruitment, channel: GiftChannel | None) -> GiftTerms | None:
    """The gift a recruitment earns: the subscription's own gift item wins over the channel's
    (staff chose it for this recruit); without either there is no gift. The channel's
    `gift_to_new_member` sends it to the recruit instead of the recruiter."""
    item = recruitment.gift_item or (channel.gift_item_no if channel is not None else None)
    if not item:
        return None
    if channel is not None and channel.gift_to_new_member:
        return GiftTerms(item, Recipient.RECRUIT, recruitment.recruit)
    return GiftTerms(item, Recipient.RECRUITER, recruitment.recruiter)


def is_first_charge(period_from: date, standing_period_starts: Iterable[date]) -> bool:
    """A charge is the subscription's first when no standing (not credited) charge of it
    starts earlier: a credited first period charged again is still the first."""
    return all(start >= period_from for start in standing_period_starts)


def check_window(paid_from: date | None, paid_to: date | None) -> None:
    if paid_from is not None and paid_to is not None and paid_to < paid_from:
        raise ImpossibleDates(f"paid_to {paid_to} is before paid_from {paid_from}.")


def in_window(paid_on: date, paid_from: date | None, paid_to: date | None) -> bool:
    """Both ends included: the window names the first and last day a payment counts."""
    return (paid_from is None or paid_on >= paid_from) and (paid_to is None or paid_on <= paid_to)


# ---------------------------------------------------------------------------------------------
# The zero-value invoice (*Dan Nul-faktura på Hvervegaver*)


def gift_line(gift_item_no: str, recipient: MemberId, subscription_no: int) -> DocumentLine:
    """One line of the item at price 0 and VAT 0: nothing is owed, the line records that the
    item left stock and for which recruitment."""
    return DocumentLine(
        line_no=1,
        kind=GIFT_LINE_KIND,
        # The gift is not a charge of the subscription: linking it would make it look like
        # one to the credits and the billing log. The gift row links both.
        subscription_id=None,
        subscription_no=None,
        member_id=recipient,
        product_code=None,
        price_code=None,
        description=f"Recruitment gift {gift_item_no} (subscription {subscription_no})",
        quantity=Decimal(1),
        unit_price=Decimal(0),
        amount=0,
        vat_rate=Decimal(0),
        vat_amount=0,
        accounting=NO_VAT,
        period_from=None,
        period_to=None,
        branch_organisation=None,
        branch_share=0,
        rule=f"recruitment gift, item {gift_item_no} (rule 39)",
    )


def gift_invoice(
    *,
    gift_item_no: str,
    subscription_no: int,
    recipient: MemberId,
    payer: PayerId,
    organisation: OrganisationId | None,
    posting_date: date,
    document_id: uuid.UUID | None = None,
) -> DocumentDraft:
    """A posted invoice of 0 to the recipient's own payer account, due on its posting date
    (nothing is owed)."""
    return DocumentDraft(
        id=document_id or uuid.uuid4(),
        kind=DocumentKind.INVOICE,
        payer=payer,
        member=recipient,
        organisation=organisation,
        posting_date=posting_date,
        due_date=posting_date,
        lines=(gift_line(gift_item_no, recipient, subscription_no),),
    )


# ---------------------------------------------------------------------------------------------
# The export file


@dataclass(frozen=True)
class Person:
    member_number: int | None
    name: str | None
    address: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str | None = None


@dataclass(frozen=True)
class ExportRow:
    paid_on: date
    gift_item_no: str
    recipient: Recipient
    recruiter: Person
    recruit: Person
    subscription_no: int
    product: str
    acquisition_channel: str | None
    document_no: str
    invoice_no: str | None


CSV_COLUMNS: tuple[str, ...] = (
    "paid_on",
    "gift_item_no",
    "recipient",
    "recruiter_member_number",
    "recruiter_name",
    "recruiter_address",
    "recruiter_address_2",
    "recruiter_postcode",
    "recruiter_city",
    "recruiter_country_code",
    "recruit_member_number",
    "recruit_name",
    "recruit_address",
    "recruit_address_2",
    "recruit_postcode",
    "recruit_city",
    "recruit_country_code",
    "subscription_no",
    "product",
    "acquisition_channel",
    "document_no",
    "invoice_no",
)


def cell(value: str | None) -> str:
    """A text cell a spreadsheet will not run: a leading `=`, `+`, `-`, `@` (a formula) is
    quoted with an apostrophe (OWASP "CSV injection"); names and addresses are typed by
    people."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _person(person: Person) -> list[str]:
    return [
        "" if person.member_number is None else str(person.member_number),
        cell(person.name),
        cell(person.address),
        cell(person.address_2),
        cell(person.postcode),
        cell(person.city),
        cell(person.country_code),
    ]


def csv_text(rows: Sequence[ExportRow]) -> str:
    """RFC 4180 (comma, CRLF, quotes where needed), a header row, one row per gift."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.paid_on.isoformat(),
                row.gift_item_no,
                row.recipient.value,
                *_person(row.recruiter),
                *_person(row.recruit),
                str(row.subscription_no),
                row.product,
                row.acquisition_channel or "",
                row.document_no,
                row.invoice_no or "",
            ]
        )
    return out.getvalue()


def export_filename(paid_from: date, paid_to: date) -> str:
    return f"recruitment-gifts_{paid_from.isoformat()}_{paid_to.isoformat()}.csv"
