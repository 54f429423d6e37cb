"""A document as the member receives it: an A4 PDF of an invoice, order, draft or credit memo,
with a Nordic payment slip (giro / FI-card style) at the foot carrying the payment reference.

Pure: it renders what it is given (the stored document, its lines, the payer's account and
the federation's name) and reads nothing. DejaVu Sans is used where the host has it, so any
name prints; otherwise the PDF core font Helvetica, which has the Nordic letters but not every
script (other characters print as "?").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from federa.billing.domain.money import format_money, format_quantity

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
TITLES = {
    "invoice": "Invoice",
    "order": "Payment request",
    "draft_invoice": "Draft invoice",
    "credit_memo": "Credit memo",
}


@dataclass(frozen=True)
class Issuer:
    """The federation (tenant) the document is from."""

    name: str


def _reference_groups(reference: str) -> str:
    """Digits in groups of four from the left, as slips print them for reading aloud."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


def _period(line: Mapping[str, Any]) -> str:
    start, end = line.get("period_from"), line.get("period_to")
    if isinstance(start, date) and isinstance(end, date):
        return f"{start:%d.%m.%Y}-{end:%d.%m.%Y}"
    return ""


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(auto=True, margin=70)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        self.has_unicode_font = regular.exists() and bold.exists()
        if self.has_unicode_font:
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.body_font = "Body"
        else:
            self.body_font = "Helvetica"

    def text_of(self, value: object) -> str:
        text = "" if value is None else str(value)
        return (
            text if self.has_unicode_font else text.encode("latin-1", "replace").decode("latin-1")
        )

    def write_line(
        self, value: object, *, size: float = 10, bold: bool = False, h: float = 5
    ) -> None:
        self.set_font(self.body_font, "B" if bold else "", size)
        self.cell(0, h, self.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_document(
    document: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    payer: Mapping[str, Any],
    issuer: Issuer,
) -> bytes:
    pdf = _Pdf()
    pdf.set_title(f"{TITLES.get(document['kind'], 'Document')} {document['document_no']}")
    pdf.set_author(pdf.text_of(issuer.name))
    pdf.add_page()
    currency = document["currency"]
    kind = document["kind"]
    number = document["invoice_no"] or document["document_no"]

    # Header: who it is from, what it is.
    pdf.write_line(issuer.name, size=16, bold=True, h=8)
    pdf.ln(4)
    top = pdf.get_y()
    for index, value in enumerate(
        [
            payer.get("name"),
            payer.get("name_2"),
            payer.get("address"),
            payer.get("address_2"),
            " ".join(p for p in (payer.get("postcode"), payer.get("city")) if p),
            payer.get("country_code"),
        ]
    ):
        if value:
            pdf.write_line(value, bold=index == 0)
    pdf.set_xy(120, top)
    pdf.set_font(pdf.body_font, "B", 14)
    pdf.cell(
        0,
        7,
        pdf.text_of(f"{TITLES.get(kind, 'Document')} {number}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    facts = [
        ("Date", f"{document['posting_date']:%d.%m.%Y}"),
        ("Payer no.", document.get("payer_number") or ""),
    ]
    if kind != "credit_memo":
        facts.append(("Due date", f"{document['due_date']:%d.%m.%Y}"))
    if payer.get("gln"):
        # Rule 35: a public customer's copy names the GLN/EAN its e-invoice went to.
        facts.append(("GLN/EAN", payer["gln"]))
    for label, value in facts:
        pdf.set_x(120)
        pdf.set_font(pdf.body_font, "", 10)
        pdf.cell(30, 5, pdf.text_of(label))
        pdf.cell(0, 5, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + 40))
    if document.get("credited_document_no"):
        pdf.write_line(f"Credits invoice {document['credited_document_no']}")
    pdf.ln(4)

    # Lines.
    pdf.set_font(pdf.body_font, "", 9)
    with pdf.table(
        col_widths=(62, 38, 14, 24, 26, 16),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
        line_height=5,
    ) as table:
        header = table.row()
        for title in ("Description", "Period", "Qty", "Unit price", "Amount", "VAT %"):
            header.cell(title)
        for line in lines:
            row = table.row()
            row.cell(pdf.text_of(line["description"]))
            row.cell(_period(line))
            row.cell(format_quantity(Decimal(line["quantity"])))
            row.cell(format_money(Decimal(line["unit_price"])))
            row.cell(format_money(int(line["amount"])))
            row.cell(format_quantity(Decimal(line["vat_rate"])))
    pdf.ln(3)

    # Totals.
    for label, value, bold in (
        ("Net", document["net_amount"], False),
        ("VAT", document["vat_amount"], False),
        ("Total" if kind != "credit_memo" else "Total credited", document["total_amount"], True),
    ):
        pdf.set_x(120)
        pdf.set_font(pdf.body_font, "B" if bold else "", 11 if bold else 10)
        pdf.cell(40, 6, label)
        pdf.cell(
            0,
            6,
            f"{format_money(int(value))} {currency}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    _payment_slip(pdf, document, payer, issuer, currency)
    return bytes(pdf.output())


def _payment_slip(
    pdf: _Pdf,
    document: Mapping[str, Any],
    payer: Mapping[str, Any],
    issuer: Issuer,
    currency: str,
) -> None:
    """The slip at the foot of the page: reference, amount and due date in large type, what a
    payer copies into the bank's payment form."""
    pdf.set_auto_page_break(auto=False)
    top = 297 - 62
    pdf.set_draw_color(0)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(10, top - 3, 200, top - 3)
    pdf.set_dash_pattern()
    pdf.set_xy(10, top)
    credit = document["kind"] == "credit_memo"
    pdf.write_line("Credit memo: nothing to pay" if credit else "Payment slip", size=11, bold=True)
    pdf.ln(2)
    box_top = pdf.get_y()
    pdf.rect(10, box_top, 190, 34)
    pdf.set_xy(14, box_top + 3)
    pdf.set_font(pdf.body_font, "", 9)
    pdf.cell(70, 5, "Payment reference (OCR / KID / FIK)")
    pdf.cell(45, 5, "Amount")
    pdf.cell(0, 5, "Due date", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(14)
    pdf.set_font(pdf.body_font, "B", 15)
    pdf.cell(70, 9, _reference_groups(document["payment_reference"]))
    pdf.cell(45, 9, f"{format_money(int(document['total_amount']))} {currency}")
    due = "" if credit else f"{document['due_date']:%d.%m.%Y}"
    pdf.cell(0, 9, due, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(14)
    pdf.set_font(pdf.body_font, "", 9)
    pdf.cell(70, 6, pdf.text_of(f"Paid by: {payer.get('name') or ''}"))
    pdf.cell(0, 6, pdf.text_of(f"To: {issuer.name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(14)
    pdf.cell(
        0,
        6,
        "Always quote the payment reference: it is how your payment finds this document.",
    )
