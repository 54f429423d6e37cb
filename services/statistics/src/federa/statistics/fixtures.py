"""Synthetic event histories, built as the publishing services would: for tests, the
benchmark and a demo. Ids are derived from the tenant and a label, so the same history can be
built again (for another tenant, or in another order) and compared."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from federa.shared.contracts import REGISTRY, billing, members, payments
from federa.shared.contracts.registry import EventSpec
from federa.shared.envelope import CloudEvent, new_event

_NS = uuid.UUID("4f1d2c55-6a57-4b0e-9a4e-7d3f0f0e5a11")


@dataclass
class History:
    tenant: str
    currency: str = "DKK"
    events: list[CloudEvent] = field(default_factory=list)
    _versions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _numbers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _subs: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    _ancestors: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)

    labels: dict[str, str] = field(default_factory=dict)

    def id(self, label: str) -> uuid.UUID:
        value = uuid.uuid5(_NS, f"{self.tenant}:{label}")
        self.labels[str(value)] = label
        return value

    def _next(self, kind: str) -> int:
        self._numbers[kind] += 1
        return self._numbers[kind]

    def emit(self, spec: EventSpec[Any], data: Any, subject: uuid.UUID) -> CloudEvent:
        self._versions[str(subject)] += 1
        event = new_event(
            spec,
            data,
            subject=str(subject),
            tenant=self.tenant,
            aggregate_version=self._versions[str(subject)],
            time=datetime.now(UTC),
        )
        self.events.append(event)
        return event

    # ------------------------------------------------------------------ members

    def organisation(self, label: str, kind: str, parent: str | None = None) -> uuid.UUID:
        org = self.id(f"org:{label}")
        ancestors: list[uuid.UUID] = []
        if parent is not None:
            parent_id = self.id(f"org:{parent}")
            ancestors = [*self._ancestors.get(parent_id, []), parent_id]
        self._ancestors[org] = ancestors
        data = members.OrganisationStateV1(
            organisation_id=org,
            organisation_number=self._next("org"),
            name=label,
            organisation_type=kind,
            parent_id=ancestors[-1] if ancestors else None,
            ancestor_ids=ancestors,
        )
        self.emit(members.ORGANISATION_CREATED, data, org)
        return org

    def member(
        self,
        label: str,
        *,
        org: str | None = None,
        gender: str | None = None,
        birth_date: date | None = None,
        postcode: str | None = None,
        enrolment_date: date = date(2024, 1, 1),
    ) -> uuid.UUID:
        member_id = self.id(f"member:{label}")
        org_id = self.id(f"org:{org}") if org else None
        data = members.MemberRegisteredV1(
            member_id=member_id,
            member_number=self._next("member"),
            name=label,
            gender=gender,
            birth_date=birth_date,
            postcode=postcode,
            organisation_id=org_id,
            organisation_ids=[*self._ancestors.get(org_id, []), org_id] if org_id else [],
            status="active",
            enrolment_date=enrolment_date,
            registered_at=datetime(2024, 1, 1, tzinfo=UTC),
            registered_by="fixture",
        )
        self.emit(members.MEMBER_REGISTERED, data, member_id)
        payer = self.id(f"payer:{label}")
        account = billing.PayerAccountStateV1(
            payer_account_id=payer,
            number=self._numbers["member"],
            owner_member_id=member_id,
            name=label,
        )
        self.emit(billing.PAYER_ACCOUNT_CREATED, account, payer)
        return member_id

    def member_left(self, label: str, on: date, reason: str) -> None:
        member_id = self.id(f"member:{label}")
        first = next(
            e for e in self.events if e.subject == str(member_id) and "registered" in e.type
        )
        state = {**first.data, "status": "left", "leaving_reason": reason, "leaving_date": on}
        for key in ("registered_at", "registered_by"):
            state.pop(key)
        data = members.MemberLeftV1.model_validate(
            {**state, "changed_at": datetime(2024, 1, 1, tzinfo=UTC), "changed_by": "fixture"}
        )
        self.emit(members.MEMBER_LEFT, data, member_id)

    def erase(self, label: str) -> None:
        member_id = self.id(f"member:{label}")
        first = next(e for e in self.events if e.subject == str(member_id))
        data = members.MemberErasedV1(
            member_id=member_id,
            member_number=int(first.data["member_number"]),
            erased_at=datetime(2024, 1, 1, tzinfo=UTC),
            erased_by="fixture",
        )
        self.emit(members.MEMBER_ERASED, data, member_id)

    # ------------------------------------------------------------------ subscriptions

    def start(
        self,
        label: str,
        member: str,
        product: str,
        from_date: date,
        *,
        to_date: date | None = None,
        price_code: str = "STD",
        org: str | None = None,
        delivered_qty: int = 1,
    ) -> uuid.UUID:
        sub = self.id(f"sub:{label}")
        data = billing.SubscriptionStartedV1(
            subscription_id=sub,
            subscription_no=self._next("sub"),
            member_id=self.id(f"member:{member}"),
            product_code=product,
            price_code=price_code,
            payer_account_id=self.id(f"payer:{member}"),
            reason_code="START",
            registration_date=from_date,
            from_date=from_date,
            to_date=to_date,
            delivered_qty=delivered_qty,
            organisation_id=self.id(f"org:{org}") if org else None,
        )
        self._subs[sub] = {
            "no": data.subscription_no,
            "member": member,
            "product": product,
            "price_code": price_code,
        }
        self.emit(billing.SUBSCRIPTION_STARTED, data, sub)
        return sub

    def stop(self, label: str, stop_date: date | None, reason: str = "STOP") -> None:
        sub = self.id(f"sub:{label}")
        info = self._subs[sub]
        data = billing.SubscriptionStoppedV1(
            subscription_id=sub,
            member_id=self.id(f"member:{info['member']}"),
            product_code=info["product"],
            stop_date=stop_date,
            reason_code=reason,
            subscription_no=info["no"],
        )
        self.emit(billing.SUBSCRIPTION_STOPPED, data, sub)

    def delete(self, label: str) -> None:
        sub = self.id(f"sub:{label}")
        info = self._subs[sub]
        data = billing.SubscriptionDeletedV1(
            subscription_id=sub,
            subscription_no=info["no"],
            member_id=self.id(f"member:{info['member']}"),
            product_code=info["product"],
        )
        self.emit(billing.SUBSCRIPTION_DELETED, data, sub)

    def change_price_code(self, label: str, new: str, effective: date) -> None:
        sub = self.id(f"sub:{label}")
        info = self._subs[sub]
        data = billing.SubscriptionPriceCodeChangedV1(
            subscription_id=sub,
            subscription_no=info["no"],
            member_id=self.id(f"member:{info['member']}"),
            product_code=info["product"],
            old_price_code=info["price_code"],
            new_price_code=new,
            effective_date=effective,
        )
        info["price_code"] = new
        self.emit(billing.SUBSCRIPTION_PRICE_CODE_CHANGED, data, sub)

    # ------------------------------------------------------------------ documents, payments

    def invoice(
        self,
        label: str,
        charges: list[tuple[str, date, date, int]],
        *,
        posting_date: date,
        due_date: date,
        kind: str = "invoice",
        org: str | None = None,
    ) -> uuid.UUID:
        """charges: (subscription label, period from, period to, amount ex VAT)."""
        doc = self.id(f"doc:{label}")
        first = self._subs[self.id(f"sub:{charges[0][0]}")]
        lines = [
            billing.DocumentLineV1(
                line_no=i + 1,
                subscription_id=self.id(f"sub:{sub}"),
                member_id=self.id(f"member:{self._subs[self.id(f'sub:{sub}')]['member']}"),
                product_code=self._subs[self.id(f"sub:{sub}")]["product"],
                description="Membership",
                unit_price=amount,
                amount=amount,
                period_from=start,
                period_to=end,
            )
            for i, (sub, start, end, amount) in enumerate(charges)
        ]
        total = sum(ln.amount for ln in lines)
        data = billing.DocumentIssuedV1(
            document_id=doc,
            kind=kind,
            document_no=str(10000 + self._next(kind)),
            payer_account_id=self.id(f"payer:{first['member']}"),
            member_id=self.id(f"member:{first['member']}"),
            organisation_id=self.id(f"org:{org}") if org else None,
            posting_date=posting_date,
            due_date=due_date,
            currency=self.currency,
            total_amount=total,
            payment_reference=f"{self._numbers[kind]:08d}",
            lines=lines,
        )
        self.emit(billing.DOCUMENT_ISSUED, data, doc)
        return doc

    def _doc(self, label: str) -> billing.DocumentIssuedV1:
        doc = str(self.id(f"doc:{label}"))
        issued = next(e for e in self.events if e.subject == doc and "issued" in e.type)
        return billing.DocumentIssuedV1.model_validate(issued.data)

    def post(self, label: str, on: date) -> None:
        issued = self._doc(label)
        data = billing.DocumentPostedV1(
            document_id=issued.document_id,
            posted_from=issued.kind,
            invoice_no=str(20000 + self._next("posted")),
            payer_account_id=issued.payer_account_id,
            member_id=issued.member_id,
            organisation_id=issued.organisation_id,
            posting_date=on,
            due_date=issued.due_date,
            currency=issued.currency,
            total_amount=issued.total_amount,
            payment_reference=issued.payment_reference,
        )
        self.emit(billing.DOCUMENT_POSTED, data, issued.document_id)

    def cancel(self, label: str) -> None:
        issued = self._doc(label)
        data = billing.DocumentCancelledV1(
            document_id=issued.document_id,
            kind=issued.kind,
            document_no=issued.document_no,
            payer_account_id=issued.payer_account_id,
            member_id=issued.member_id,
            reason="deleted",
        )
        self.emit(billing.DOCUMENT_CANCELLED, data, issued.document_id)

    def credit(
        self, label: str, invoice: str, sub: str, start: date, end: date, amount: int, on: date
    ) -> None:
        issued = self._doc(invoice)
        memo = self.id(f"memo:{label}")
        line = billing.DocumentLineV1(
            line_no=1,
            subscription_id=self.id(f"sub:{sub}"),
            amount=amount,
            period_from=start,
            period_to=end,
        )
        data = billing.CreditMemoIssuedV1(
            credit_memo_id=memo,
            credit_memo_no=str(30000 + self._next("memo")),
            credited_document_id=issued.document_id,
            credited_document_no=issued.document_no,
            payer_account_id=issued.payer_account_id,
            member_id=issued.member_id,
            organisation_id=issued.organisation_id,
            posting_date=on,
            currency=issued.currency,
            total_amount=amount,
            reason="stop",
            lines=[line],
        )
        self.emit(billing.CREDIT_MEMO_ISSUED, data, memo)

    def pay(self, label: str, invoice: str, amount: int, on: date) -> None:
        issued = self._doc(invoice)
        payment = self.id(f"payment:{label}")
        received = payments.PaymentReceivedV1(
            payment_id=payment,
            source="manual",
            amount=amount,
            currency=issued.currency,
            value_date=on,
            payer_account_id=issued.payer_account_id,
        )
        self.emit(payments.PAYMENT_RECEIVED, received, payment)
        applied = payments.PaymentAppliedV1(
            payment_id=payment,
            payer_account_id=issued.payer_account_id,
            currency=issued.currency,
            value_date=on,
            amount=amount,
            allocations=[
                payments.AllocationV1(
                    document_id=issued.document_id,
                    document_no=issued.document_no,
                    member_id=issued.member_id,
                    amount=amount,
                    remaining=max(issued.total_amount - amount, 0),
                )
            ],
            source="manual",
        )
        self.emit(payments.PAYMENT_APPLIED, applied, payment)
        if amount >= issued.total_amount:
            closed = payments.ReceivableClosedV1(
                document_id=issued.document_id,
                document_no=issued.document_no,
                payer_account_id=issued.payer_account_id,
                member_id=issued.member_id,
                closed_on=on,
                how="paid",
            )
            self.emit(payments.RECEIVABLE_CLOSED, closed, issued.document_id)

    def unidentified_payment(self, label: str, amount: int, on: date) -> None:
        payment = self.id(f"payment:{label}")
        received = payments.PaymentReceivedV1(
            payment_id=payment,
            source="camt054",
            amount=amount,
            currency=self.currency,
            value_date=on,
        )
        self.emit(payments.PAYMENT_RECEIVED, received, payment)

    def exception(self, label: str, amount: int, *, resolved: bool = False) -> None:
        """A deviant payment waiting for a person (payments' exception events, looked up by
        type so the history builds wherever the contracts have them)."""
        exception_id = self.id(f"exception:{label}")
        payment_id = self.id(f"payment:{label}")
        common = {
            "exception_id": exception_id,
            "payment_id": payment_id,
            "amount": amount,
            "currency": self.currency,
        }
        raised = REGISTRY.get("federa.payments.exception.raised.v1")
        if raised is None:
            return
        self.emit(raised, raised.parse({**common, "reason": "partial_payment"}), exception_id)
        done = REGISTRY.get("federa.payments.exception.resolved.v1")
        if resolved and done is not None:
            self.emit(
                done, done.parse({**common, "action": "refund", "resolved_by": "x"}), exception_id
            )
