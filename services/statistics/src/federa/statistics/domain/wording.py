"""Every domain event in human words, for the event log: "Invoice 10042 to Anna Berg,
450.00 DKK, issued". Names are looked up when the log is read, so an erased member's name is
gone from old entries too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from federa.statistics.domain.money import format_money


@dataclass(frozen=True)
class Refs:
    """The ids an event names, extracted once when it is archived (the log's filters)."""

    member_id: UUID | None
    organisation_id: UUID | None
    payer_account_id: UUID | None
    outcome: str


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def event_name(event_type: str) -> tuple[str, str, str]:
    """`federa.billing.document.issued.v1` → (billing, document, issued)."""
    parts = event_type.split(".")
    if len(parts) < 5:
        return ("", "", event_type)
    return (parts[1], parts[2], parts[3])


def refs_of(event_type: str, data: Mapping[str, Any]) -> Refs:
    _, aggregate, name = event_name(event_type)
    member = data.get("member_id") or data.get("owner_member_id")
    if aggregate == "household":
        member = data.get("secondary_member_id")
    organisation = data.get("organisation_id")
    outcome = name
    if name == "completed" and data.get("outcome"):
        outcome = str(data["outcome"])
    elif name == "cancelled" and data.get("reason"):
        outcome = f"cancelled:{data['reason']}"
    elif name == "closed" and data.get("how"):
        outcome = f"closed:{data['how']}"
    return Refs(_uuid(member), _uuid(organisation), _uuid(data.get("payer_account_id")), outcome)


@dataclass(frozen=True)
class Names:
    members: Mapping[UUID, str]
    payers: Mapping[UUID, str]
    organisations: Mapping[UUID, str]

    def member(self, value: Any) -> str:
        key = _uuid(value)
        return self.members.get(key, "a member") if key else "a member"

    def payer(self, value: Any) -> str:
        key = _uuid(value)
        return self.payers.get(key, "a payer") if key else "an unidentified payer"

    def organisation(self, value: Any) -> str:
        key = _uuid(value)
        return self.organisations.get(key, "an organisation") if key else "no organisation"


_KIND = {"invoice": "Invoice", "draft_invoice": "Draft invoice", "order": "Order"}


def _money(data: Mapping[str, Any], field: str = "amount") -> str:
    return format_money(int(data.get(field) or 0), str(data.get("currency") or ""))


def describe(event_type: str, data: Mapping[str, Any], names: Names) -> str:
    service, aggregate, name = event_name(event_type)
    d = data
    said = name.replace("_", " ")
    if aggregate == "member":
        # The name is looked up now, not taken from the event, so an erasure shows.
        who = names.member(d.get("member_id"))
        if name == "erased":
            who = f"Member {d.get('member_number')}"
        if name == "left":
            reason = d.get("leaving_reason")
            return f"{who} left" + (f" ({reason})" if reason else "")
        if name == "status_changed":
            return f"{who}: status {d.get('previous_status')} → {d.get('status')}"
        return f"{who} {said}"
    if aggregate == "organisation":
        return f"Organisation {d.get('name')} ({d.get('organisation_type')}) {said}"
    if aggregate in ("affiliation", "office"):
        what = "affiliation to" if aggregate == "affiliation" else f"{d.get('office_type')} at"
        return (
            f"{names.member(d.get('member_id'))}: {what} "
            f"{names.organisation(d.get('organisation_id'))} {said}"
        )
    if aggregate == "household":
        return (
            f"{names.member(d.get('secondary_member_id'))} {said} to the household of "
            f"{names.member(d.get('primary_member_id'))}"
        )
    if aggregate == "subscription":
        who = names.member(d.get("member_id"))
        what = f"Subscription {d.get('subscription_no') or ''} ({d.get('product_code')})"
        what = what.replace("  ", " ")
        if name == "started":
            return f"{what} for {who} started {d.get('from_date')}"
        if name in ("stopped", "stop_scheduled"):
            reason = d.get("reason_code")
            verb = "stops" if name == "stop_scheduled" else "stopped"
            when = f" from {d['stop_date']}" if d.get("stop_date") else ""
            return f"{what} for {who} {verb}{when}" + (f" ({reason})" if reason else "")
        if name == "price_code_changed":
            return (
                f"{what} for {who}: price code {d.get('old_price_code')} → "
                f"{d.get('new_price_code')} from {d.get('effective_date')}"
            )
        return f"{what} for {who} {said}"
    if aggregate == "document":
        kind = _KIND.get(str(d.get("kind") or d.get("posted_from") or ""), "Document")
        number = d.get("document_no") or d.get("invoice_no") or ""
        to = names.payer(d.get("payer_account_id"))
        if name == "issued":
            return f"{kind} {number} to {to}, {_money(d, 'total_amount')}, issued"
        if name == "posted":
            return f"Invoice {number} to {to}, {_money(d, 'total_amount')}, posted"
        if name == "cancelled":
            return f"{kind} {number} to {to} cancelled ({d.get('reason')})"
    if aggregate == "credit_memo":
        return (
            f"Credit memo {d.get('credit_memo_no')} to {names.payer(d.get('payer_account_id'))}, "
            f"{_money(d, 'total_amount')}, issued"
        )
    if aggregate == "payment":
        if name == "received":
            return f"Payment of {_money(d)} from {names.payer(d.get('payer_account_id'))} received"
        if name == "applied":
            docs = ", ".join(str(a.get("document_no") or "?") for a in d.get("allocations", []))
            return (
                f"Payment of {_money(d)} from {names.payer(d.get('payer_account_id'))} "
                f"applied to {docs or 'nothing'}"
            )
    if aggregate == "payment" and name == "unidentified":
        return f"Payment of {_money(d)} could not be matched to a payer"
    if aggregate == "exception":
        reason = str(d.get("reason") or d.get("action") or "").replace("_", " ")
        return f"Payment exception of {_money(d)} {said}" + (f" ({reason})" if reason else "")
    if aggregate == "gift":
        return f"Gift of {_money(d)} from {names.payer(d.get('payer_account_id'))} recorded"
    if aggregate == "writeoff":
        return (
            f"{_money(d)} written off on {d.get('document_no') or 'a document'} of "
            f"{names.payer(d.get('payer_account_id'))}"
        )
    if aggregate == "refund":
        return f"Refund of {_money(d)} to {names.payer(d.get('payer_account_id'))} issued"
    if aggregate == "receivable":
        return f"Receivable {d.get('document_no') or ''} closed ({d.get('how')})".replace("  ", " ")
    if aggregate == "run":
        if name == "completed":
            return (
                f"Billing run {d.get('outcome')}: {d.get('documents_issued', 0)} documents, "
                f"{_money(d)}"
            )
        return f"Billing run {said}"
    if aggregate in ("product", "price_code", "price"):
        label = d.get("product_code") or ""
        if d.get("price_code"):
            label = f"{label}/{d['price_code']}"
        return f"{aggregate.replace('_', ' ').capitalize()} {label} {said}"
    if aggregate == "payer_account":
        return f"Payer account {d.get('number')} ({names.payer(d.get('payer_account_id'))}) {said}"
    if aggregate == "settlement":
        return (
            f"Settlement for {names.organisation(d.get('organisation_id'))}, "
            f"{_money(d)}, calculated"
        )
    amount = f", {_money(d)}" if "amount" in d and "currency" in d else ""
    return f"{service.capitalize()}: {aggregate.replace('_', ' ')} {said}{amount}".strip()
