"""Bankgirot BgMax adapter: the Swedish reference-payment file (fixed-width records of 80
characters, one transaction code `TK` in the first two positions).

Records read (positions are 1-based, inclusive, as in Bankgirot's manual):

    01 start     3-22 "BGMAX", 23-24 version, 25-44 timestamp, 45 test marker (T/P)
    05 opening   3-12 receiving bankgiro, 23-25 currency
    20 payment   3-12 sender bankgiro, 13-37 reference, 38-55 amount (öre), 56 reference
                 code, 57 channel, 58-69 BGC serial number
    21 deduction same layout as 20; a negative payment
    22/23        extra references: refused here, the ledger takes one reference per payment
    25 text      3-52 information text
    26 name      3-37 payer name
    15 deposit   38-45 payment date, 51-68 deposit amount, 69-71 currency, 72-79 payments
    70 end       3-10 payment records, 11-18 deduction records, 19-26 extra references,
                 27-34 deposit records

Reference code 2 means Bankgirot checked the OCR reference; such a reference must pass our
check digit too, or the file is refused. Codes 0, 1, 3 and 4 carry no usable reference; the
text is kept for the payment's description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from federa.payments.domain.text_hints import hints_from_text
from federa.payments.sources.currencies import is_currency
from federa.payments.sources.model import BankEntry, FileRejected, PaymentFile, Problem
from federa.shared.payment_reference import is_valid_reference


def _cut(record: str, start: int, end: int) -> str:
    return record[start - 1 : end]


@dataclass
class _Pending:
    line: int
    tk: str
    record: str
    name: str | None = None
    text: list[str] = field(default_factory=list)


@dataclass
class _State:
    currency: str | None = None
    payments: int = 0
    deductions: int = 0
    deposits: int = 0
    section: list[_Pending] = field(default_factory=list)
    entries: list[BankEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def fail(self, message: str, line: int, field_: str, entry: int | None = None) -> None:
        self.problems.append(Problem(message, entry=entry, line=line, field=field_))


def parse_bgmax(raw: bytes, expected_currency: str) -> PaymentFile:
    try:
        text = raw.decode("latin-1")
    except UnicodeDecodeError as exc:  # latin-1 decodes every byte; kept for clarity
        raise FileRejected([Problem(f"not text: {exc}")]) from exc
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    state = _State()
    if not lines or _cut(lines[0], 1, 2) != "01" or _cut(lines[0], 3, 7) != "BGMAX":
        raise FileRejected(
            [Problem("not a BgMax file (no TK01 BGMAX start record)", line=1, field="TK01")]
        )
    ended = False
    for number, record in enumerate(lines, start=1):
        tk = _cut(record, 1, 2)
        if ended:
            state.fail("records after the end record (TK70)", number, f"TK{tk}")
            break
        if len(record) < 2 or not tk.isdigit():
            state.fail("not a BgMax record", number, "TK")
            continue
        if tk == "05":
            state.currency = _cut(record, 23, 25).strip() or None
            state.section = []
        elif tk in ("20", "21"):
            state.section.append(_Pending(number, tk, record))
        elif tk in ("22", "23"):
            state.fail("extra reference records are not supported", number, f"TK{tk}")
        elif tk == "25" and state.section:
            state.section[-1].text.append(_cut(record, 3, 52).strip())
        elif tk == "26" and state.section:
            state.section[-1].name = _cut(record, 3, 37).strip() or None
        elif tk == "15":
            _close_deposit(state, record, number, expected_currency)
        elif tk == "70":
            _check_end(state, record, number)
            ended = True
    if not ended:
        state.fail("file is truncated: no end record (TK70)", len(lines), "TK70")
    if state.section:
        state.fail("payments after the last deposit record (TK15)", state.section[0].line, "TK15")
    if state.problems:
        raise FileRejected(state.problems)
    return PaymentFile("bgmax", expected_currency, tuple(state.entries))


def _close_deposit(state: _State, record: str, line: int, expected_currency: str) -> None:
    state.deposits += 1
    currency = _cut(record, 69, 71).strip() or state.currency
    if currency is None or not is_currency(currency):
        state.fail(f"unknown currency {currency!r}", line, "TK15 currency")
        currency = expected_currency
    elif currency != expected_currency:
        state.fail(
            f"currency {currency} is not the ledger's {expected_currency}", line, "TK15 currency"
        )
    try:
        paid_on = date(
            int(_cut(record, 38, 41)), int(_cut(record, 42, 43)), int(_cut(record, 44, 45))
        )
    except ValueError:
        state.fail(f"bad payment date {_cut(record, 38, 45)!r}", line, "TK15 payment date")
        paid_on = date.min
    stated = _digits(_cut(record, 51, 68))
    count = _digits(_cut(record, 72, 79))
    if stated is None:
        state.fail("deposit amount is not a number", line, "TK15 deposit amount")
    total = 0
    payments = 0
    for pending in state.section:
        entry_no = len(state.entries) + 1
        amount = _digits(_cut(pending.record, 38, 55))
        if amount is None or amount == 0:
            state.fail(
                "amount is not a positive number", pending.line, f"TK{pending.tk} amount", entry_no
            )
            continue
        if pending.tk == "21":
            state.deductions += 1
            total -= amount
            state.fail("deductions (TK21) need a person: refused", pending.line, "TK21", entry_no)
            continue
        state.payments += 1
        payments += 1
        total += amount
        state.entries.append(_entry(state, pending, entry_no, amount, currency, paid_on))
    if stated is not None and stated != total:
        state.fail(
            f"deposit amount {stated} is not the sum of its payments {total}",
            line,
            "TK15 deposit amount",
        )
    if count is not None and count != payments + sum(1 for p in state.section if p.tk == "21"):
        state.fail(
            f"deposit says {count} payments, it has {len(state.section)}",
            line,
            "TK15 number of payments",
        )
    state.section = []


def _entry(
    state: _State, pending: _Pending, entry_no: int, amount: int, currency: str, paid_on: date
) -> BankEntry:
    record = pending.record
    raw_reference = _cut(record, 13, 37).strip()
    code = _cut(record, 56, 56)
    reference = None
    if code == "2":
        if is_valid_reference(raw_reference):
            reference = raw_reference
        else:
            state.fail(
                f"payment reference {raw_reference!r} has a bad check digit",
                pending.line,
                "TK20 reference",
                entry_no,
            )
    description = (
        " ".join(t for t in [raw_reference if code != "2" else "", *pending.text] if t) or None
    )
    hints = hints_from_text(description)
    serial = _cut(record, 58, 69).strip()
    return BankEntry(
        entry_no=entry_no,
        amount=amount,
        currency=currency,
        value_date=paid_on,
        booking_date=paid_on,
        bank_reference=f"BGC{serial}" if serial else None,
        reference=reference or hints.reference,
        invoice_no=hints.invoice_no,
        payer_number=hints.payer_number,
        debtor_name=pending.name,
        description=description,
        line=pending.line,
    )


def _check_end(state: _State, record: str, line: int) -> None:
    stated = {
        "payment records": (_digits(_cut(record, 3, 10)), state.payments),
        "deduction records": (_digits(_cut(record, 11, 18)), state.deductions),
        "deposit records": (_digits(_cut(record, 27, 34)), state.deposits),
    }
    for name, (said, counted) in stated.items():
        if said is None or said != counted:
            state.fail(
                f"end record says {said} {name}, the file has {counted}", line, f"TK70 {name}"
            )


def _digits(text: str) -> int | None:
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else None
