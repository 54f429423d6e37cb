"""The camt adapter on hand-written files: what banks send beyond the generated happy path."""

from __future__ import annotations

from datetime import date

import pytest

from federa.payments.sources.camt import parse_camt053, parse_camt054
from federa.payments.sources.model import FileRejected

# A batch-booked entry of two transactions (one with a structured reference, one with text),
# a fee, an older namespace version, a date-time value date, and a pending entry.
BATCH = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>HAND-1</MsgId><CreDtTm>2026-03-02T06:00:00</CreDtTm></GrpHdr>
  <Ntfctn>
   <Id>N1</Id>
   <Acct><Id><IBAN>DK5000400440116243</IBAN></Id><Ccy>DKK</Ccy></Acct>
   <TxsSummry>
    <TtlNtries><NbOfNtries>2</NbOfNtries><Sum>800.50</Sum></TtlNtries>
    <TtlCdtNtries><NbOfNtries>2</NbOfNtries><Sum>800.50</Sum></TtlCdtNtries>
   </TxsSummry>
   <Ntry>
    <NtryRef>E1</NtryRef>
    <Amt Ccy="DKK">750.50</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd>
    <Sts>BOOK</Sts>
    <BookgDt><Dt>2026-03-02</Dt></BookgDt>
    <ValDt><DtTm>2026-03-01T23:59:00</DtTm></ValDt>
    <AcctSvcrRef>BANK-E1</AcctSvcrRef>
    <Chrgs><TtlChrgsAndTaxAmt Ccy="DKK">2.50</TtlChrgsAndTaxAmt></Chrgs>
    <NtryDtls>
     <TxDtls>
      <Refs><AcctSvcrRef>BANK-E1-A</AcctSvcrRef></Refs>
      <AmtDtls><TxAmt><Amt Ccy="DKK">450.00</Amt></TxAmt></AmtDtls>
      <RltdPties><Dbtr><Nm>Anna Berg</Nm></Dbtr>
       <DbtrAcct><Id><IBAN>DK9520000123456789</IBAN></Id></DbtrAcct></RltdPties>
      <RmtInf><Strd><CdtrRefInf><Ref>100000421</Ref></CdtrRefInf></Strd></RmtInf>
     </TxDtls>
     <TxDtls>
      <AmtDtls><TxAmt><Amt Ccy="DKK">300.50</Amt></TxAmt></AmtDtls>
      <RltdPties><Dbtr><Pty><Nm>Per Holm</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>Faktura nr. 1234, kundenr 77</Ustrd></RmtInf>
     </TxDtls>
    </NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="DKK">50.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd>
    <Sts>PDNG</Sts>
    <BookgDt><Dt>2026-03-02</Dt></BookgDt>
   </Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_a_batch_entry_is_one_payment_per_transaction_with_its_own_hints() -> None:
    file = parse_camt054(BATCH, "DKK")
    first, second = file.entries
    assert (first.amount, first.reference, first.bank_reference, first.fee) == (
        45000,
        "100000421",
        "BANK-E1-A",
        250,
    )
    assert (first.debtor_name, first.debtor_iban) == ("Anna Berg", "DK9520000123456789")
    assert first.value_date == date(2026, 3, 1)
    assert (second.amount, second.invoice_no, second.payer_number, second.reference) == (
        30050,
        "1234",
        77,
        None,
    )
    assert second.bank_reference == "BANK-E1/2"  # no reference of its own: the entry's, numbered
    assert second.debtor_name == "Per Holm"
    assert [p.message for p in file.skipped] == ["not an incoming payment (status PDNG)"]


def test_transactions_that_do_not_add_up_to_their_entry_refuse_the_file() -> None:
    bad = BATCH.replace(b'<Amt Ccy="DKK">300.50</Amt>', b'<Amt Ccy="DKK">300.00</Amt>')
    with pytest.raises(FileRejected) as refused:
        parse_camt054(bad, "DKK")
    [problem] = refused.value.problems
    assert (problem.entry, problem.field) == (1, "Ntry/Amt")
    assert "add up" in problem.message


def test_a_statement_is_not_a_notification() -> None:
    with pytest.raises(FileRejected) as refused:
        parse_camt053(BATCH, "DKK")
    assert "not a camt053 document" in refused.value.problems[0].message


def test_an_amount_with_more_decimals_than_the_currency_is_refused() -> None:
    bad = BATCH.replace(b">750.50<", b">750.505<")
    with pytest.raises(FileRejected) as refused:
        parse_camt054(bad, "DKK")
    assert [(p.entry, p.field) for p in refused.value.problems] == [(1, "Ntry/Amt")]


def test_external_entities_are_not_resolved() -> None:
    hostile = BATCH.replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace(b"<MsgId>HAND-1</MsgId>", b"<MsgId>&x;</MsgId>")
    with pytest.raises(FileRejected) as refused:
        parse_camt054(hostile, "DKK")
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("DOCTYPE", "a DOCTYPE is not allowed")
    ]


def test_a_truncated_file_names_its_line() -> None:
    with pytest.raises(FileRejected) as refused:
        parse_camt054(BATCH[:900], "DKK")
    [problem] = refused.value.problems
    assert problem.line is not None
    assert problem.message.startswith("not well-formed XML")
