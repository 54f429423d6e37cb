"""ISO 20022 pain.001.001.09 (customer credit transfer initiation): the file a bank takes to
pay refunds. One payment information block, one transaction per refund, with the control
totals (`NbOfTxs`, `CtrlSum`) in the group header and the block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from federa.payments.sources.samples import decimal_text

PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: int
    creditor_name: str
    creditor_iban: str
    creditor_bic: str | None
    remittance: str


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def pain001(
    *,
    message_id: str,
    created_at: datetime,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str | None,
    execution_date: date,
    currency: str,
    transfers: Sequence[Transfer],
) -> bytes:
    total = decimal_text(sum(t.amount for t in transfers), currency)
    root = etree.Element("Document", nsmap={None: PAIN001_NS})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", str(len(transfers)))
    _sub(header, "CtrlSum", total)
    _sub(_sub(header, "InitgPty"), "Nm", debtor_name[:140])
    block = _sub(initiation, "PmtInf")
    _sub(block, "PmtInfId", f"{message_id}-1")
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "NbOfTxs", str(len(transfers)))
    _sub(block, "CtrlSum", total)
    _sub(_sub(_sub(block, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA" if currency == "EUR" else "NURG")
    _sub(_sub(block, "ReqdExctnDt"), "Dt", execution_date.isoformat())
    _sub(_sub(block, "Dbtr"), "Nm", debtor_name[:140])
    _sub(_sub(_sub(block, "DbtrAcct"), "Id"), "IBAN", debtor_iban)
    agent = _sub(_sub(block, "DbtrAgt"), "FinInstnId")
    if debtor_bic:
        _sub(agent, "BICFI", debtor_bic)
    else:
        _sub(_sub(agent, "Othr"), "Id", "NOTPROVIDED")
    _sub(block, "ChrgBr", "SLEV")
    for transfer in transfers:
        tx = _sub(block, "CdtTrfTxInf")
        _sub(_sub(tx, "PmtId"), "EndToEndId", transfer.end_to_end_id)
        _sub(_sub(tx, "Amt"), "InstdAmt", decimal_text(transfer.amount, currency), Ccy=currency)
        if transfer.creditor_bic:
            _sub(_sub(_sub(tx, "CdtrAgt"), "FinInstnId"), "BICFI", transfer.creditor_bic)
        _sub(_sub(tx, "Cdtr"), "Nm", transfer.creditor_name[:140])
        _sub(_sub(_sub(tx, "CdtrAcct"), "Id"), "IBAN", transfer.creditor_iban)
        _sub(_sub(tx, "RmtInf"), "Ustrd", transfer.remittance)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
