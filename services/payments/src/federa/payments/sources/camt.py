"""ISO 20022 camt.054 (debit/credit notification) and camt.053 (statement) adapter.

Parsed with lxml without entity resolution or network access. The structure is checked by
hand rather than against the official XSDs, which are not shipped with the service: the
elements matching needs, the control totals (`TxsSummry/TtlNtries` and `TtlCdtNtries`:
`NbOfNtries` and `Sum`), currencies, amounts and structured references. Every problem is
collected with its entry number, line and field; any problem refuses the whole file.

Only booked credit entries are payments; debits, pending entries and reversals are listed as
skipped. An entry booked as a batch holds several transactions (`TxDtls`), each a payment,
whose amounts must add up to the entry's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from federa.payments.domain.text_hints import hints_from_text
from federa.payments.sources.currencies import AmountError, is_currency, minor_units
from federa.payments.sources.model import BankEntry, FileRejected, PaymentFile, Problem
from federa.shared.payment_reference import is_valid_reference

_ROOTS = {"camt054": "BkToCstmrDbtCdtNtfctn", "camt053": "BkToCstmrStmt"}
_REPORTS = {"camt054": "Ntfctn", "camt053": "Stmt"}
_NAMESPACES = {"camt054": "camt.054.", "camt053": "camt.053."}
Element = etree._Element


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )


def _strip_namespaces(root: Element) -> str:
    namespace = etree.QName(root).namespace or ""
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname
    return namespace


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


@dataclass
class _Collector:
    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, element: Element | None, field_: str, entry: int | None) -> None:
        line = element.sourceline if element is not None else None
        self.problems.append(Problem(message, entry=entry, line=line, field=field_))


def parse_camt(raw: bytes, expected_currency: str, *, format: str = "camt054") -> PaymentFile:
    """Parse and check a camt.054 or camt.053 file; raise `FileRejected` naming every problem."""
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise FileRejected([Problem(f"not well-formed XML: {exc.msg}", line=line)]) from exc
    if root.getroottree().docinfo.doctype:
        # ISO 20022 files carry no DTD; one here can only be an entity trick.
        raise FileRejected([Problem("a DOCTYPE is not allowed", line=1, field="DOCTYPE")])
    namespace = _strip_namespaces(root)
    if root.tag != "Document" or _NAMESPACES[format] not in namespace:
        raise FileRejected(
            [
                Problem(
                    f"not a {format} document (root {root.tag!r}, namespace {namespace!r})",
                    line=root.sourceline,
                    field="Document",
                )
            ]
        )
    message = root.find(_ROOTS[format])
    if message is None or _text(message, "GrpHdr/MsgId") is None:
        raise FileRejected(
            [Problem("missing message or GrpHdr/MsgId", line=root.sourceline, field=_ROOTS[format])]
        )
    reports = message.findall(_REPORTS[format])
    if not reports:
        raise FileRejected(
            [Problem("no account report", line=message.sourceline, field=_REPORTS[format])]
        )
    out = _Collector()
    entries: list[BankEntry] = []
    skipped: list[Problem] = []
    number = 0
    for report in reports:
        account_currency = _text(report, "Acct/Ccy")
        if account_currency is not None and account_currency != expected_currency:
            out.add(
                f"account currency {account_currency} is not the ledger's {expected_currency}",
                report.find("Acct/Ccy"),
                "Acct/Ccy",
                None,
            )
        report_entries = report.findall("Ntry")
        amounts: list[int | None] = []
        credits: list[int | None] = []
        for ntry in report_entries:
            number += 1
            parsed = _entry(ntry, number, expected_currency, out, skipped)
            amount = _entry_amount(ntry, expected_currency)
            amounts.append(amount)
            if _text(ntry, "CdtDbtInd") == "CRDT":
                credits.append(amount)
            entries.extend(parsed)
        _check_totals(report, "TxsSummry/TtlNtries", amounts, expected_currency, out)
        _check_totals(report, "TxsSummry/TtlCdtNtries", credits, expected_currency, out)
    if out.problems:
        raise FileRejected(out.problems)
    return PaymentFile(format, expected_currency, tuple(entries), tuple(skipped))


def _entry_amount(ntry: Element, currency: str) -> int | None:
    """The entry's amount for the control totals; None when it is itself refused."""
    text = _text(ntry, "Amt")
    element = ntry.find("Amt")
    if text is None or element is None or element.get("Ccy") != currency:
        return None
    try:
        return minor_units(text, currency)
    except AmountError:
        return None


def _check_totals(
    report: Element, path: str, found: list[int | None], currency: str, out: _Collector
) -> None:
    totals = report.find(path)
    if totals is None:
        return
    # An entry whose amount is refused is reported there, not again as a wrong total.
    amounts = [a for a in found if a is not None]
    if len(amounts) < len(found):
        return
    count = _text(totals, "NbOfNtries")
    if count is not None and (not count.isdigit() or int(count) != len(amounts)):
        out.add(
            f"{path}/NbOfNtries says {count}, the report has {len(amounts)} entries",
            totals.find("NbOfNtries"),
            f"{path}/NbOfNtries",
            None,
        )
    total = _text(totals, "Sum")
    if total is not None:
        try:
            stated = minor_units(total, currency)
        except AmountError as exc:
            out.add(str(exc), totals.find("Sum"), f"{path}/Sum", None)
            return
        if stated != sum(amounts):
            out.add(
                f"{path}/Sum says {total}, the entries add up to "
                f"{sum(amounts)} (minor units of {currency})",
                totals.find("Sum"),
                f"{path}/Sum",
                None,
            )


def _amount(
    element: Element | None, field_: str, entry: int, expected: str, out: _Collector
) -> int | None:
    if element is None or element.text is None:
        out.add("amount missing", element, field_, entry)
        return None
    currency = element.get("Ccy")
    if currency is None or not is_currency(currency):
        out.add(f"unknown currency {currency!r}", element, f"{field_}/@Ccy", entry)
        return None
    if currency != expected:
        out.add(
            f"currency {currency} is not the ledger's {expected}", element, f"{field_}/@Ccy", entry
        )
        return None
    try:
        value = minor_units(element.text, currency)
    except AmountError as exc:
        out.add(str(exc), element, field_, entry)
        return None
    if value == 0:
        out.add("amount is zero", element, field_, entry)
        return None
    return value


def _date(element: Element | None, path: str) -> date | None:
    raw = _text(element, f"{path}/Dt") or _text(element, f"{path}/DtTm")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _entry(
    ntry: Element, number: int, currency: str, out: _Collector, skipped: list[Problem]
) -> list[BankEntry]:
    amount = _amount(ntry.find("Amt"), "Ntry/Amt", number, currency, out)
    indicator = _text(ntry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        out.add(
            f"CdtDbtInd must be CRDT or DBIT, not {indicator!r}", ntry, "Ntry/CdtDbtInd", number
        )
        return []
    status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts")
    reversal = _text(ntry, "RvslInd") == "true"
    if indicator == "DBIT" or status != "BOOK" or reversal:
        why = "debit" if indicator == "DBIT" else ("reversal" if reversal else f"status {status}")
        skipped.append(
            Problem(f"not an incoming payment ({why})", entry=number, line=ntry.sourceline)
        )
        return []
    booking = _date(ntry, "BookgDt")
    value = _date(ntry, "ValDt") or booking
    if value is None:
        out.add("value date (ValDt) or booking date missing", ntry, "Ntry/ValDt", number)
        return []
    if amount is None:
        return []
    fee = _fee(ntry, number, currency, out)
    details = ntry.findall("NtryDtls/TxDtls")
    if not details:
        details = [ntry]
    results: list[BankEntry] = []
    parts: list[int] = []
    for index, tx in enumerate(details):
        tx_amount_el = tx.find("AmtDtls/TxAmt/Amt")
        if tx_amount_el is None and tx is not ntry:
            tx_amount_el = tx.find("Amt")
        if tx_amount_el is None:
            if len(details) > 1:
                out.add("transaction amount missing in a batch entry", tx, "TxDtls/Amt", number)
                return []
            tx_amount: int | None = amount
        else:
            tx_amount = _amount(tx_amount_el, "TxDtls/Amt", number, currency, out)
        if tx_amount is None:
            return []
        parts.append(tx_amount)
        results.append(
            _payment(ntry, tx, number, index, tx_amount, currency, value, booking, fee, out)
        )
    if sum(parts) != amount:
        out.add(
            f"transactions add up to {sum(parts)}, the entry says {amount} (minor units)",
            ntry.find("Amt"),
            "Ntry/Amt",
            number,
        )
        return []
    return results


def _fee(ntry: Element, number: int, currency: str, out: _Collector) -> int:
    total = ntry.find("Chrgs/TtlChrgsAndTaxAmt")
    records = [total] if total is not None else ntry.findall("Chrgs/Rcrd/Amt")
    fee = 0
    for element in records:
        value = _amount(element, "Chrgs/Amt", number, currency, out)
        fee += value or 0
    return fee


def _payment(
    ntry: Element,
    tx: Element,
    number: int,
    index: int,
    amount: int,
    currency: str,
    value: date,
    booking: date | None,
    fee: int,
    out: _Collector,
) -> BankEntry:
    bank_reference = (
        _text(tx, "Refs/AcctSvcrRef") or _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
    )
    if (
        bank_reference is not None
        and index
        and tx is not ntry
        and not _text(tx, "Refs/AcctSvcrRef")
    ):
        bank_reference = f"{bank_reference}/{index + 1}"
    structured = tx.find("RmtInf/Strd/CdtrRefInf/Ref")
    reference = None
    if structured is not None and structured.text and structured.text.strip():
        candidate = structured.text.strip()
        if is_valid_reference(candidate):
            reference = candidate.replace(" ", "")
        else:
            out.add(
                f"payment reference {candidate!r} has a bad check digit or shape",
                structured,
                "RmtInf/Strd/CdtrRefInf/Ref",
                number,
            )
    unstructured = (
        " ".join(t.text.strip() for t in tx.findall("RmtInf/Ustrd") if t.text and t.text.strip())
        or None
    )
    hints = hints_from_text(unstructured)
    debtor = _text(tx, "RltdPties/Dbtr/Nm") or _text(tx, "RltdPties/Dbtr/Pty/Nm")
    return BankEntry(
        entry_no=number,
        amount=amount,
        currency=currency,
        value_date=value,
        booking_date=booking,
        bank_reference=bank_reference,
        reference=reference or hints.reference,
        invoice_no=hints.invoice_no,
        payer_number=hints.payer_number,
        debtor_name=debtor,
        debtor_iban=_text(tx, "RltdPties/DbtrAcct/Id/IBAN"),
        description=unstructured,
        fee=fee if index == 0 else 0,
        line=tx.sourceline,
    )


def parse_camt054(raw: bytes, currency: str) -> PaymentFile:
    return parse_camt(raw, currency, format="camt054")


def parse_camt053(raw: bytes, currency: str) -> PaymentFile:
    return parse_camt(raw, currency, format="camt053")
