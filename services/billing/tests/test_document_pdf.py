"""A document's PDF: a real PDF a member could receive, with the payment reference and total."""

from __future__ import annotations

import io

from pypdf import PdfReader

from federa.billing.domain.money import format_money

from .conftest import Billing
from .credit_helpers import billed, credit_worker, runs, subscription_of

__all__ = ["credit_worker", "runs"]


def grouped(reference: str) -> str:
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


async def pdf_text(runs: Billing, document_id: str) -> str:
    response = await runs.service.client.get(
        f"/v1/documents/{document_id}.pdf", headers=runs.headers()
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_an_invoice_pdf_shows_the_payer_lines_total_and_payment_reference(
    runs: Billing,
) -> None:
    _, [invoice] = await billed(runs)
    text = await pdf_text(runs, invoice["id"])

    assert grouped(invoice["payment_reference"]) in text
    assert f"{format_money(invoice['total_amount'])} {invoice['currency']}" in text
    assert f"Invoice {invoice['document_no']}" in text
    assert "Member 0" in text  # the payer
    for line in invoice["lines"]:
        assert line["description"] in text
    assert "Due date" in text


async def test_a_credit_memo_pdf_names_the_invoice_it_credits(runs: Billing) -> None:
    population, [invoice] = await billed(runs)
    annual = await subscription_of(runs, population, "ANNUAL")
    memo = await runs.call("POST", f"/v1/subscriptions/{annual}/credit-latest", expect=201)
    text = await pdf_text(runs, memo["id"])
    assert f"Credit memo {memo['document_no']}" in text
    assert f"Credits invoice {invoice['document_no']}" in text
    assert grouped(memo["payment_reference"]) in text
    assert "nothing to pay" in text


async def test_the_pdf_of_an_unknown_document_is_404(runs: Billing) -> None:
    response = await runs.service.client.get(
        "/v1/documents/00000000-0000-4000-8000-000000000000.pdf", headers=runs.headers()
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
