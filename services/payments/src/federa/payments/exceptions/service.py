"""The exceptions queue (SPEC §2.3 rules 8 and 10, Membra *avvikande betalning*): deviant
payments a person must resolve. Nothing of an exception's amount is posted until then.

Actions, each in one transaction with its events:
- `apply`: to items the person chooses (of the exception's payer), each with an amount and
  optionally "write off the rest" (the person's decision, no limit); what is not applied
  needs `rest`: `gift` or `refund`;
- `refund`: pay the amount back (an overpayment, a double payment);
- `gift`: book the amount as a gift on the payer's member;
- `move`: the payment belongs to another payer: its money is applied again, automatically,
  to that payer's items (which may raise a new exception there);
- `reapply`: the automatic application again, for the same payer: money that arrived before
  its invoice (*Efterudlign*, post-application) is applied once the invoice is open.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.matching import Identified, MatchedBy
from federa.payments.domain.outcome import Allocation, Application
from federa.payments.domain.setup import SourceKind
from federa.payments.events import Events
from federa.payments.ledger.posting import Money, allocate, apply_money, record_gift
from federa.payments.ledger.workset import Workset, lock_payers_in_tx
from federa.payments.refunds.service import refund_in_ws
from federa.payments.storage.tables import (
    ledger_entries,
    payer_accounts,
    payment_exceptions,
    payments,
)
from federa.payments.tenancy import SetupDocument
from federa.shared.contracts.payments import (
    EXCEPTION_RESOLVED,
    PAYMENT_APPLIED,
    ExceptionResolvedV1,
    PaymentAppliedV1,
)
from federa.shared.http.problems import Problem

MANUAL_SOURCES = ("manual", "fundraising")


@dataclass(frozen=True)
class ChosenItem:
    document_id: uuid.UUID
    amount: int
    write_off_rest: bool = False


@dataclass(frozen=True)
class Resolution:
    action: str
    items: tuple[ChosenItem, ...] = ()
    rest: str | None = None
    payer_account_id: uuid.UUID | None = None
    iban: str | None = None
    bic: str | None = None
    name: str | None = None


def _refused(detail: str) -> Problem:
    return Problem(409, "exception-refused", "Refused in the current state", detail)


def _invalid(detail: str) -> Problem:
    return Problem(422, "invalid-resolution", "Invalid resolution", detail)


async def _locked(
    session: AsyncSession, tenant: str, exception_id: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    row = (
        (
            await session.execute(
                select(payment_exceptions)
                .where(
                    payment_exceptions.c.tenant == tenant,
                    payment_exceptions.c.exception_id == exception_id,
                )
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "exception-not-found", "Exception not found", f"No exception {exception_id}."
        )
    if row["status"] != "open":
        raise _refused(f"Exception {exception_id} is already resolved ({row['action']}).")
    payment = (
        (
            await session.execute(
                select(payments).where(payments.c.payment_id == row["payment_id"]).with_for_update()
            )
        )
        .mappings()
        .one()
    )
    return dict(row), dict(payment)


async def resolve_in_tx(
    session: AsyncSession,
    tenant: str,
    setup: SetupDocument,
    exception_id: uuid.UUID,
    resolution: Resolution,
    actor: str,
) -> dict[str, Any]:
    exc, payment = await _locked(session, tenant, exception_id)
    today = datetime.now(UTC).date()
    ws = Workset(tenant, today, Events(tenant))
    money = Money(
        payment["payment_id"],
        exc["amount"],
        exc["currency"],
        payment["value_date"],
        payment["source"],
        payment["version"],
    )
    payer = exc["payer_account_id"]
    detail: dict[str, Any] = {"action": resolution.action}
    if resolution.action == "apply":
        detail |= await _apply_chosen(
            session, ws, setup, money, payment, payer, resolution, exception_id
        )
    elif resolution.action == "refund":
        money.version += 1
        detail["refund_id"] = str(
            refund_in_ws(
                ws,
                payment,
                amount=exc["amount"],
                reason=exc["reason"],
                exception_id=exception_id,
                iban=resolution.iban,
                bic=resolution.bic,
                name=resolution.name,
                version=money.version,
            )
        )
    elif resolution.action == "gift":
        await lock_payers_in_tx(session, ws, {payer} if payer else set())
        record_gift(ws, setup, money, payer, exc["amount"], origin="exception_resolution")
    elif resolution.action in ("move", "reapply"):
        if resolution.action == "reapply":
            if payer is None:
                raise _refused("The payer is unknown: move the payment to a payer instead.")
            resolution = Resolution("reapply", payer_account_id=payer)
        payer = await _move(session, ws, setup, money, payment, resolution)
        detail["payer_account_id"] = str(payer)
    else:
        raise _invalid(f"unknown action {resolution.action!r}")
    ws.events.add(
        EXCEPTION_RESOLVED,
        ExceptionResolvedV1(
            exception_id=exception_id,
            payment_id=payment["payment_id"],
            action=resolution.action,
            amount=exc["amount"],
            currency=exc["currency"],
            payer_account_id=payer,
            resolved_by=actor,
        ),
        subject=exception_id,
        version=exc["version"] + 1,
    )
    await ws.flush_in_tx(session)
    resolved = (
        (
            await session.execute(
                update(payment_exceptions)
                .where(payment_exceptions.c.exception_id == exception_id)
                .values(
                    status="resolved",
                    action=resolution.action,
                    resolution=detail,
                    resolved_at=func.now(),
                    resolved_by=actor,
                    version=exc["version"] + 1,
                )
                .returning(payment_exceptions)
            )
        )
        .mappings()
        .one()
    )
    status = await _status(session, payment["payment_id"])
    await session.execute(
        update(payments)
        .where(payments.c.payment_id == payment["payment_id"])
        .values(version=money.version, payer_account_id=payer, status=status)
    )
    return dict(resolved)


async def _status(session: AsyncSession, payment_id: uuid.UUID) -> str:
    """The payment's status after a resolution, from what its money now does."""
    waiting = (
        await session.execute(
            select(func.count())
            .select_from(payment_exceptions)
            .where(
                payment_exceptions.c.payment_id == payment_id,
                payment_exceptions.c.status == "open",
            )
        )
    ).scalar_one()
    used = dict(
        (
            await session.execute(
                select(ledger_entries.c.kind, func.sum(ledger_entries.c.amount))
                .where(ledger_entries.c.payment_id == payment_id)
                .group_by(ledger_entries.c.kind)
            )
        ).all()
    )
    applied = int(used.get("application") or 0) > 0
    if waiting:
        return "partly_applied" if applied else "exception"
    if applied:
        return "applied"
    return "refunded" if int(used.get("refund") or 0) > 0 else "gift"


async def _apply_chosen(
    session: AsyncSession,
    ws: Workset,
    setup: SetupDocument,
    money: Money,
    payment: dict[str, Any],
    payer: uuid.UUID | None,
    resolution: Resolution,
    exception_id: uuid.UUID,
) -> dict[str, Any]:
    if payer is None:
        raise _refused("The payer is unknown: move the payment to a payer first.")
    if not resolution.items:
        raise _invalid("`items` names the documents to apply to.")
    await lock_payers_in_tx(session, ws, {payer})
    allocations = []
    for chosen in resolution.items:
        receivable = ws.receivables.get(chosen.document_id)
        if receivable is None or receivable.payer_id != payer:
            raise _invalid(f"Document {chosen.document_id} is not an open item of the payer.")
        remaining = receivable.item.remaining
        if chosen.amount <= 0 or chosen.amount > remaining:
            raise _invalid(
                f"Document {chosen.document_id}: amount must be between 1 and {remaining}."
            )
        written_off = remaining - chosen.amount if chosen.write_off_rest else 0
        allocations.append(
            Allocation(
                chosen.document_id,
                chosen.amount,
                written_off,
                writeoff_reason="exception_resolution" if written_off else None,
            )
        )
    applied = sum(a.amount for a in allocations)
    rest = money.amount - applied
    if rest < 0:
        raise _invalid(f"The items take {applied}, the exception holds {money.amount}.")
    if rest and resolution.rest not in ("gift", "refund"):
        raise _invalid(f"{rest} would be left: say `rest`: `gift` or `refund`.")
    gift = rest if resolution.rest == "gift" else 0
    announced = allocate(ws, money, payer, Application(applied, tuple(allocations)))
    money.version += 1
    ws.events.add(
        PAYMENT_APPLIED,
        PaymentAppliedV1(
            payment_id=money.payment_id,
            payer_account_id=payer,
            currency=money.currency,
            value_date=money.value_date,
            amount=applied,
            allocations=announced,
            gift_amount=gift,
            writeoff_amount=sum(a.written_off for a in allocations),
            source=money.source,
        ),
        subject=money.payment_id,
        version=money.version,
    )
    detail: dict[str, Any] = {"applied": applied, "gift": gift}
    if gift:
        record_gift(ws, setup, money, payer, gift, origin="exception_resolution")
    elif rest:
        money.version += 1
        refund_id = refund_in_ws(
            ws,
            payment,
            amount=rest,
            reason="rest after applying an exception",
            exception_id=exception_id,
            iban=resolution.iban,
            bic=resolution.bic,
            name=resolution.name,
            version=money.version,
        )
        detail |= {"refund": rest, "refund_id": str(refund_id)}
    return detail


async def _move(
    session: AsyncSession,
    ws: Workset,
    setup: SetupDocument,
    money: Money,
    payment: dict[str, Any],
    resolution: Resolution,
) -> uuid.UUID:
    target = resolution.payer_account_id
    if target is None:
        raise _invalid("`payer_account_id` names the payer to move the payment to.")
    known = (
        await session.execute(
            select(payer_accounts.c.payer_account_id).where(
                payer_accounts.c.tenant == ws.tenant, payer_accounts.c.payer_account_id == target
            )
        )
    ).scalar_one_or_none()
    if known is None:
        raise Problem(404, "payer-not-found", "Payer not found", f"No payer account {target}.")
    await lock_payers_in_tx(session, ws, {target})
    kind = SourceKind.MANUAL if payment["source"] in MANUAL_SOURCES else SourceKind.BANK
    apply_money(ws, setup, money, Identified(target, MatchedBy.PAYER_NUMBER), kind)
    return target
