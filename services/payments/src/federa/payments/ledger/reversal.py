"""Reversing a payment's applications (ARCHITECTURE: "corrections are ... reversals").

Applications are immutable: a reversal writes, for every application, write-off and gift the
payment made that is not yet reversed, a new entry of the same kind with the opposite amount
(`reverses` names the original). The items get their amounts back (a closed item opens again),
`payment.applied` is published with negative allocations (the contract's reversal), and the
payment's money waits as a `reversed` exception for a person to apply, move or refund. Refunds
cannot be reversed: that money has left.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.outcome import ExceptionReason
from federa.payments.events import Events
from federa.payments.ledger.posting import Money, raise_exception
from federa.payments.ledger.workset import Workset
from federa.payments.storage.tables import ledger_entries, payments, receivables
from federa.shared.contracts.payments import PAYMENT_APPLIED, AllocationV1, PaymentAppliedV1
from federa.shared.http.problems import Problem

REVERSIBLE = ("application", "writeoff", "gift")


async def reverse_payment_in_tx(
    session: AsyncSession, tenant: str, payment_id: uuid.UUID
) -> dict[str, Any]:
    payment = (
        (
            await session.execute(
                select(payments)
                .where(payments.c.tenant == tenant, payments.c.payment_id == payment_id)
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if payment is None:
        raise Problem(404, "payment-not-found", "Payment not found", f"No payment {payment_id}.")
    entries = (
        (
            await session.execute(
                select(ledger_entries)
                .where(
                    ledger_entries.c.tenant == tenant,
                    ledger_entries.c.payment_id == payment_id,
                    ledger_entries.c.kind.in_(REVERSIBLE),
                )
                .order_by(ledger_entries.c.entry_id)
            )
        )
        .mappings()
        .all()
    )
    reversed_ids = {e["reverses"] for e in entries if e["reverses"] is not None}
    open_entries = [
        e for e in entries if e["reverses"] is None and e["entry_id"] not in reversed_ids
    ]
    if not open_entries:
        raise Problem(
            409, "nothing-to-reverse", "Nothing to reverse", "The payment has no applications left."
        )
    today = datetime.now(UTC).date()
    ws = Workset(tenant, today, Events(tenant))
    back: dict[uuid.UUID, int] = defaultdict(int)
    written_off: dict[uuid.UUID, int] = defaultdict(int)
    for entry in open_entries:
        ws.ledger(
            entry["kind"],
            -entry["amount"],
            entry["currency"],
            payer_account_id=entry["payer_account_id"],
            document_id=entry["document_id"],
            payment_id=payment_id,
            member_id=entry["member_id"],
            posting_type=entry["posting_type"],
            reverses=entry["entry_id"],
            note="reversal",
        )
        if entry["kind"] in ("application", "writeoff") and entry["document_id"] is not None:
            back[entry["document_id"]] += entry["amount"]
            if entry["kind"] == "writeoff":
                written_off[entry["document_id"]] += entry["amount"]
    money_back = sum(e["amount"] for e in open_entries if e["kind"] in ("application", "gift"))
    allocations = await _reopen(session, back, written_off)
    money = Money(
        payment_id,
        money_back,
        payment["currency"],
        payment["value_date"],
        payment["source"],
        payment["version"] + 1,
    )
    if payment["payer_account_id"] is not None:
        ws.events.add(
            PAYMENT_APPLIED,
            PaymentAppliedV1(
                payment_id=payment_id,
                payer_account_id=payment["payer_account_id"],
                currency=payment["currency"],
                value_date=payment["value_date"],
                amount=-sum(e["amount"] for e in open_entries if e["kind"] == "application"),
                allocations=allocations,
                gift_amount=-sum(e["amount"] for e in open_entries if e["kind"] == "gift"),
                writeoff_amount=-sum(e["amount"] for e in open_entries if e["kind"] == "writeoff"),
                source=payment["source"],
            ),
            subject=payment_id,
            version=money.version,
        )
    exception_id = raise_exception(
        ws, money, payment["payer_account_id"], money_back, ExceptionReason.REVERSED
    )
    await ws.flush_in_tx(session)
    await session.execute(
        update(payments)
        .where(payments.c.payment_id == payment_id)
        .values(status="exception", version=money.version)
    )
    return {"payment_id": payment_id, "exception_id": exception_id, "amount": money_back}


async def _reopen(
    session: AsyncSession, back: dict[uuid.UUID, int], written_off: dict[uuid.UUID, int]
) -> list[AllocationV1]:
    allocations = []
    for document_id, amount in sorted(back.items(), key=lambda kv: str(kv[0])):
        row = (
            (
                await session.execute(
                    update(receivables)
                    .where(receivables.c.document_id == document_id)
                    .values(
                        remaining=receivables.c.remaining + amount,
                        status="open",
                        closed_on=None,
                        closed_how=None,
                    )
                    .returning(
                        receivables.c.document_no, receivables.c.member_id, receivables.c.remaining
                    )
                )
            )
            .mappings()
            .one()
        )
        allocations.append(
            AllocationV1(
                document_id=document_id,
                document_no=row["document_no"],
                member_id=row["member_id"],
                amount=-(amount - written_off[document_id]),
                remaining=row["remaining"],
                written_off=-written_off[document_id],
            )
        )
    return allocations
