"""Receiving payments and applying their money (SPEC flow F4), inside the caller's
transaction.

`receive_payments_in_tx` is the one path every source takes (bank files, manual batches, a
payment moved to another payer): it skips payments already received (same bank reference),
identifies the payer, asks the domain for the application, and records the payment, the
ledger entries, the exceptions, the items' new remaining amounts and every event at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.matching import Hints, Identified, MatchedBy, candidates, identify
from federa.payments.domain.outcome import Application, ExceptionReason, exception_only
from federa.payments.domain.setup import ApplicationSetup, SourceKind
from federa.payments.domain.strategies import apply_payment
from federa.payments.ledger.workset import Receivable, Workset, load_workset_in_tx
from federa.payments.storage.tables import payments
from federa.payments.tenancy import SetupDocument
from federa.shared.contracts.payments import (
    EXCEPTION_RAISED,
    GIFT_RECORDED,
    PAYMENT_APPLIED,
    PAYMENT_RECEIVED,
    PAYMENT_UNIDENTIFIED,
    RECEIVABLE_CLOSED,
    WRITEOFF_RECORDED,
    AllocationV1,
    ExceptionRaisedV1,
    GiftRecordedV1,
    PaymentAppliedV1,
    PaymentReceivedV1,
    PaymentUnidentifiedV1,
    ReceivableClosedV1,
    WriteoffRecordedV1,
)


@dataclass(frozen=True)
class IncomingPayment:
    source: str
    source_kind: SourceKind
    amount: int
    currency: str
    value_date: date
    booking_date: date | None = None
    bank_reference: str | None = None
    reference: str | None = None
    invoice_no: str | None = None
    payer_number: int | None = None
    member_id: uuid.UUID | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    description: str | None = None
    fee: int = 0
    payment_file_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    entry_no: int | None = None


@dataclass(frozen=True)
class Posted:
    """What became of one incoming payment, for the file's report."""

    entry_no: int | None
    amount: int
    payment_id: uuid.UUID | None
    status: str
    matched_by: str | None = None
    payer_account_id: uuid.UUID | None = None
    application: Application | None = None
    exception_id: uuid.UUID | None = None

    @property
    def reason(self) -> str | None:
        if self.application is None or self.application.reason is None:
            return None
        return self.application.reason.value


@dataclass
class Money:
    """One payment's money as it is being applied, with the payment's event version."""

    payment_id: uuid.UUID
    amount: int
    currency: str
    value_date: date
    source: str
    version: int


async def receive_payments_in_tx(
    session: AsyncSession,
    ws: Workset,
    setup: SetupDocument,
    incoming: Sequence[IncomingPayment],
) -> list[Posted]:
    """Record and apply `incoming` in order; a later payment sees what an earlier one paid."""
    seen = await _already_received(session, ws.tenant, incoming)
    await load_workset_in_tx(
        session,
        ws,
        references=[p.reference for p in incoming if p.reference],
        invoice_nos=[p.invoice_no for p in incoming if p.invoice_no],
        payer_numbers=[p.payer_number for p in incoming if p.payer_number is not None],
        member_ids=[p.member_id for p in incoming if p.member_id is not None],
    )
    results: list[Posted] = []
    domain = setup.to_domain()
    for payment in incoming:
        if payment.bank_reference is not None and payment.bank_reference in seen:
            results.append(Posted(payment.entry_no, payment.amount, None, "duplicate"))
            continue
        if payment.bank_reference is not None:
            seen.add(payment.bank_reference)
        results.append(_receive(ws, setup, domain, payment))
    await ws.flush_in_tx(session)
    return results


async def _already_received(
    session: AsyncSession, tenant: str, incoming: Sequence[IncomingPayment]
) -> set[str]:
    refs = sorted({p.bank_reference for p in incoming if p.bank_reference is not None})
    if not refs:
        return set()
    rows = await session.execute(
        select(payments.c.bank_reference).where(
            payments.c.tenant == tenant, payments.c.bank_reference.in_(refs)
        )
    )
    return {r.bank_reference for r in rows}


def _receive(
    ws: Workset, setup: SetupDocument, domain: ApplicationSetup, payment: IncomingPayment
) -> Posted:
    hints = Hints(
        reference=payment.reference,
        invoice_no=payment.invoice_no,
        payer_number=payment.payer_number,
        member_payer_id=(
            ws.payer_by_member.get(payment.member_id) if payment.member_id is not None else None
        ),
    )
    identified = identify(hints, ws.known)
    money = Money(
        uuid.uuid4(), payment.amount, payment.currency, payment.value_date, payment.source, 1
    )
    ws.events.add(
        PAYMENT_RECEIVED,
        PaymentReceivedV1(
            payment_id=money.payment_id,
            source=payment.source,
            payment_file_id=payment.payment_file_id,
            amount=payment.amount,
            currency=payment.currency,
            value_date=payment.value_date,
            booking_date=payment.booking_date,
            payment_reference=payment.reference,
            payer_account_id=identified.payer_id,
            bank_reference=payment.bank_reference,
        ),
        subject=money.payment_id,
        version=1,
    )
    application, exception_id = apply_money(
        ws,
        setup,
        money,
        identified,
        payment.source_kind,
        debtor_name=payment.debtor_name,
        domain=domain,
    )
    ws.payment_rows.append(
        {
            "payment_id": money.payment_id,
            "tenant": ws.tenant,
            "source": payment.source,
            "payment_file_id": payment.payment_file_id,
            "batch_id": payment.batch_id,
            "entry_no": payment.entry_no,
            "bank_reference": payment.bank_reference,
            "amount": payment.amount,
            "currency": payment.currency,
            "value_date": payment.value_date,
            "booking_date": payment.booking_date,
            "payment_reference": payment.reference,
            "invoice_no": payment.invoice_no,
            "payer_number": payment.payer_number,
            "payer_account_id": identified.payer_id,
            "member_id": payment.member_id,
            "matched_by": identified.matched_by.value,
            "debtor_name": payment.debtor_name,
            "debtor_iban": payment.debtor_iban,
            "description": payment.description,
            "fee": payment.fee,
            "status": payment_status(application),
            "version": money.version,
        }
    )
    return Posted(
        payment.entry_no,
        payment.amount,
        money.payment_id,
        payment_status(application),
        identified.matched_by.value,
        identified.payer_id,
        application,
        exception_id,
    )


def payment_status(application: Application) -> str:
    if application.allocations and application.exception:
        return "partly_applied"
    if application.allocations:
        return "applied"
    if application.exception:
        return "exception"
    return "gift"


def apply_money(
    ws: Workset,
    setup: SetupDocument,
    money: Money,
    identified: Identified,
    source_kind: SourceKind,
    *,
    debtor_name: str | None = None,
    domain: ApplicationSetup | None = None,
) -> tuple[Application, uuid.UUID | None]:
    """Apply one amount of money for a payer; records ledger rows, item changes and events
    in `ws`, and returns the domain's decision and the exception raised, if any."""
    domain_setup = domain or setup.to_domain()
    payer = identified.payer_id
    if payer is None:
        application = exception_only(money.amount, ExceptionReason.UNKNOWN_PAYER)
    else:
        mode = ws.mode_of(payer, domain_setup.default_matching_mode)
        chosen = candidates(identified, mode, ws.items_of(payer), priority=domain_setup.priority)
        if chosen.refused is not None:
            application = exception_only(money.amount, chosen.refused)
        else:
            application = apply_payment(
                money.amount,
                chosen.items,
                domain_setup.rules_for(source_kind),
                reference_payment=chosen.reference_payment,
            )
    allocations = allocate(ws, money, payer, application) if payer is not None else []
    if payer is not None and (allocations or application.gift):
        money.version += 1
        ws.events.add(
            PAYMENT_APPLIED,
            PaymentAppliedV1(
                payment_id=money.payment_id,
                payer_account_id=payer,
                currency=money.currency,
                value_date=money.value_date,
                amount=application.applied,
                allocations=allocations,
                gift_amount=application.gift,
                writeoff_amount=application.written_off,
                source=money.source,
            ),
            subject=money.payment_id,
            version=money.version,
        )
    if application.gift:
        record_gift(ws, setup, money, payer, application.gift, origin="overpayment")
    exception_id = None
    if application.exception and application.reason is not None:
        exception_id = raise_exception(ws, money, payer, application.exception, application.reason)
        if identified.matched_by is MatchedBy.SUSPENSE:
            money.version += 1
            ws.events.add(
                PAYMENT_UNIDENTIFIED,
                PaymentUnidentifiedV1(
                    payment_id=money.payment_id,
                    exception_id=exception_id,
                    source=money.source,
                    amount=money.amount,
                    currency=money.currency,
                    value_date=money.value_date,
                    debtor_name=debtor_name,
                ),
                subject=money.payment_id,
                version=money.version,
            )
    return application, exception_id


def allocate(
    ws: Workset, money: Money, payer: uuid.UUID, application: Application
) -> list[AllocationV1]:
    allocations: list[AllocationV1] = []
    for allocation in application.allocations:
        receivable = ws.receivables[allocation.document_id]
        item = receivable.item
        if allocation.amount:
            ws.ledger(
                "application",
                allocation.amount,
                money.currency,
                payer_account_id=payer,
                document_id=item.document_id,
                payment_id=money.payment_id,
                member_id=receivable.member_id,
            )
            receivable.take(allocation.amount)
        if allocation.written_off:
            ws.ledger(
                "writeoff",
                allocation.written_off,
                money.currency,
                payer_account_id=payer,
                document_id=item.document_id,
                payment_id=money.payment_id,
                member_id=receivable.member_id,
            )
            receivable.take(allocation.written_off)
            receivable.version += 1
            ws.events.add(
                WRITEOFF_RECORDED,
                WriteoffRecordedV1(
                    document_id=item.document_id,
                    document_no=item.document_no,
                    payer_account_id=payer,
                    member_id=receivable.member_id,
                    payment_id=money.payment_id,
                    amount=allocation.written_off,
                    currency=money.currency,
                    recorded_on=ws.today,
                    reason=allocation.writeoff_reason or "limit",
                ),
                subject=item.document_id,
                version=receivable.version,
            )
        allocations.append(
            AllocationV1(
                document_id=item.document_id,
                document_no=item.document_no,
                member_id=receivable.member_id,
                subscription_ids=receivable.subscription_ids,
                amount=allocation.amount,
                remaining=receivable.item.remaining,
                written_off=allocation.written_off,
            )
        )
        if receivable.item.remaining == 0:
            close_receivable(ws, receivable, "paid" if allocation.amount else "written_off")
    return allocations


def close_receivable(ws: Workset, receivable_: Receivable, how: str) -> None:
    receivable_.closed_how = how
    receivable_.changed = True
    receivable_.version += 1
    ws.events.add(
        RECEIVABLE_CLOSED,
        ReceivableClosedV1(
            document_id=receivable_.item.document_id,
            document_no=receivable_.item.document_no,
            payer_account_id=receivable_.payer_id,
            member_id=receivable_.member_id,
            closed_on=ws.today,
            how=how,
        ),
        subject=receivable_.item.document_id,
        version=receivable_.version,
    )


def member_of(ws: Workset, payer: uuid.UUID) -> uuid.UUID | None:
    """The member a payer's gift belongs to: the payer's own member, else the member of the
    payer's items (a payer billing made for someone else's documents)."""
    owner = ws.owners.get(payer)
    if owner is not None:
        return owner
    members = (ws.receivables[d].member_id for d in ws.by_payer.get(payer, ()))
    return next((m for m in members if m is not None), None)


def record_gift(
    ws: Workset,
    setup: SetupDocument,
    money: Money,
    payer: uuid.UUID | None,
    amount: int,
    *,
    origin: str,
    member_id: uuid.UUID | None = None,
    posting_type: str | None = None,
    campaign: str | None = None,
) -> None:
    """Rule 7: a gift line on the member (the payer's own member unless given)."""
    member = member_id or (member_of(ws, payer) if payer is not None else None)
    kind = posting_type or setup.gift_posting_type
    ws.ledger(
        "gift",
        amount,
        money.currency,
        payer_account_id=payer,
        payment_id=money.payment_id,
        member_id=member,
        posting_type=kind,
        note=campaign,
    )
    money.version += 1
    ws.events.add(
        GIFT_RECORDED,
        GiftRecordedV1(
            payment_id=money.payment_id,
            payer_account_id=payer,
            member_id=member,
            amount=amount,
            currency=money.currency,
            posting_type=kind,
            recorded_on=ws.today,
            origin=origin,
            campaign=campaign,
        ),
        subject=money.payment_id,
        version=money.version,
    )


def raise_exception(
    ws: Workset, money: Money, payer: uuid.UUID | None, amount: int, reason: ExceptionReason
) -> uuid.UUID:
    exception_id = uuid.uuid4()
    ws.exception_rows.append(
        {
            "exception_id": exception_id,
            "tenant": ws.tenant,
            "payment_id": money.payment_id,
            "payer_account_id": payer,
            "reason": reason.value,
            "amount": amount,
            "currency": money.currency,
            "status": "open",
            "version": 1,
        }
    )
    ws.events.add(
        EXCEPTION_RAISED,
        ExceptionRaisedV1(
            exception_id=exception_id,
            payment_id=money.payment_id,
            payer_account_id=payer,
            reason=reason.value,
            amount=amount,
            currency=money.currency,
        ),
        subject=exception_id,
        version=1,
    )
    return exception_id


@dataclass(frozen=True)
class Donation:
    """A fundraising line (rule 12, flow F9): an invoice-like gift line and its payment."""

    amount: int
    currency: str
    value_date: date
    member_id: uuid.UUID | None
    posting_type: str | None
    campaign: str | None
    batch_id: uuid.UUID
    entry_no: int
    description: str | None = None


def receive_donation(ws: Workset, setup: SetupDocument, donation: Donation) -> Posted:
    """The payment and its gift at once: nothing is owed, nothing is matched."""
    payer = ws.payer_by_member.get(donation.member_id) if donation.member_id else None
    money = Money(
        uuid.uuid4(), donation.amount, donation.currency, donation.value_date, "fundraising", 1
    )
    ws.events.add(
        PAYMENT_RECEIVED,
        PaymentReceivedV1(
            payment_id=money.payment_id,
            source="fundraising",
            amount=donation.amount,
            currency=donation.currency,
            value_date=donation.value_date,
            payer_account_id=payer,
            bank_reference=f"batch:{donation.batch_id}:{donation.entry_no}",
        ),
        subject=money.payment_id,
        version=1,
    )
    record_gift(
        ws,
        setup,
        money,
        payer,
        donation.amount,
        origin="donation",
        member_id=donation.member_id,
        posting_type=donation.posting_type,
        campaign=donation.campaign,
    )
    ws.payment_rows.append(
        {
            "payment_id": money.payment_id,
            "tenant": ws.tenant,
            "source": "fundraising",
            "payment_file_id": None,
            "batch_id": donation.batch_id,
            "entry_no": donation.entry_no,
            "bank_reference": f"batch:{donation.batch_id}:{donation.entry_no}",
            "amount": donation.amount,
            "currency": donation.currency,
            "value_date": donation.value_date,
            "booking_date": donation.value_date,
            "payment_reference": None,
            "invoice_no": None,
            "payer_number": None,
            "payer_account_id": payer,
            "member_id": donation.member_id,
            "matched_by": MatchedBy.MEMBER.value if payer else MatchedBy.SUSPENSE.value,
            "debtor_name": None,
            "debtor_iban": None,
            "description": donation.description,
            "fee": 0,
            "status": "gift",
            "version": money.version,
        }
    )
    application = Application(donation.amount, gift=donation.amount)
    return Posted(
        donation.entry_no, donation.amount, money.payment_id, "gift", "member", payer, application
    )
