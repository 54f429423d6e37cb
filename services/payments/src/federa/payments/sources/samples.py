"""Writers of bank files for tests, demos and the benchmark: what a bank would send.

Not used by the service itself; kept beside the parsers so both sides of the format live in
one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from federa.payments.sources.currencies import EXPONENTS

CAMT054_NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
CAMT053_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


@dataclass(frozen=True)
class SamplePayment:
    amount: int
    reference: str | None = None
    text: str | None = None
    bank_reference: str | None = None
    debtor_name: str = "Anna Berg"
    debtor_iban: str | None = "DK5000400440116243"
    value_date: date = date(2026, 3, 2)
    fee: int = 0


def decimal_text(minor: int, currency: str) -> str:
    exponent = EXPONENTS[currency]
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def camt(
    payments: Sequence[SamplePayment],
    *,
    currency: str = "DKK",
    message_id: str = "MSG-1",
    statement: bool = False,
    control_sum: int | None = None,
    control_count: int | None = None,
) -> bytes:
    """A camt.054 notification (or a camt.053 statement) with one booked credit entry per
    payment and the control totals; `control_sum`/`control_count` override them."""
    ns = CAMT053_NS if statement else CAMT054_NS
    root = etree.Element("Document", nsmap={None: ns})
    message = _sub(root, "BkToCstmrStmt" if statement else "BkToCstmrDbtCdtNtfctn")
    header = _sub(message, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", "2026-03-02T08:00:00")
    report = _sub(message, "Stmt" if statement else "Ntfctn")
    _sub(report, "Id", f"{message_id}-1")
    account = _sub(report, "Acct")
    _sub(_sub(account, "Id"), "IBAN", "DK5000400440116243")
    _sub(account, "Ccy", currency)
    summary = _sub(report, "TxsSummry")
    totals = _sub(summary, "TtlNtries")
    total = sum(p.amount for p in payments) if control_sum is None else control_sum
    _sub(totals, "NbOfNtries", str(len(payments) if control_count is None else control_count))
    _sub(totals, "Sum", decimal_text(total, currency))
    for n, payment in enumerate(payments, start=1):
        entry = _sub(report, "Ntry")
        _sub(entry, "NtryRef", str(n))
        _sub(entry, "Amt", decimal_text(payment.amount, currency), Ccy=currency)
        _sub(entry, "CdtDbtInd", "CRDT")
        _sub(_sub(entry, "Sts"), "Cd", "BOOK")
        _sub(_sub(entry, "BookgDt"), "Dt", payment.value_date.isoformat())
        _sub(_sub(entry, "ValDt"), "Dt", payment.value_date.isoformat())
        _sub(entry, "AcctSvcrRef", payment.bank_reference or f"{message_id}-{n}")
        if payment.fee:
            _sub(
                _sub(entry, "Chrgs"),
                "TtlChrgsAndTaxAmt",
                decimal_text(payment.fee, currency),
                Ccy=currency,
            )
        tx = _sub(_sub(entry, "NtryDtls"), "TxDtls")
        amounts = _sub(_sub(tx, "AmtDtls"), "TxAmt")
        _sub(amounts, "Amt", decimal_text(payment.amount, currency), Ccy=currency)
        parties = _sub(tx, "RltdPties")
        _sub(_sub(parties, "Dbtr"), "Nm", payment.debtor_name)
        if payment.debtor_iban:
            _sub(_sub(_sub(parties, "DbtrAcct"), "Id"), "IBAN", payment.debtor_iban)
        remittance = _sub(tx, "RmtInf")
        if payment.text:
            _sub(remittance, "Ustrd", payment.text)
        if payment.reference:
            reference = _sub(_sub(remittance, "Strd"), "CdtrRefInf")
            _sub(reference, "Ref", payment.reference)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def bgmax(
    payments: Sequence[SamplePayment],
    *,
    currency: str = "SEK",
    paid_on: date = date(2026, 3, 2),
    deposit_amount: int | None = None,
    truncate: bool = False,
) -> bytes:
    """A BgMax file with one deposit holding every payment (reference code 2 when the payment
    has a reference)."""
    lines = [
        "01BGMAX               0120260302080000000000P".ljust(80),
        f"050009912346          {currency}".ljust(80),
    ]
    for n, payment in enumerate(payments, start=1):
        reference = (payment.reference or payment.text or "").ljust(25)[:25]
        code = "2" if payment.reference else "1"
        serial = (payment.bank_reference or f"{n:012d}")[-12:].rjust(12, "0")
        lines.append(f"20{'0000000000'}{reference}{payment.amount:018d}{code}1{serial}0".ljust(80))
        lines.append(f"26{payment.debtor_name[:35]}".ljust(80))
    total = sum(p.amount for p in payments) if deposit_amount is None else deposit_amount
    lines.append(
        (
            f"15{'99123456789'.ljust(35)}{paid_on:%Y%m%d}00001{total:018d}{currency}"
            f"{len(payments):08d}K"
        ).ljust(80)
    )
    if not truncate:
        lines.append(f"70{len(payments):08d}{0:08d}{0:08d}{1:08d}".ljust(80))
    return ("\n".join(lines) + "\n").encode("latin-1")
