"""Manual payment batches (SPEC *Betalingsverifikationskladde*, rules 1 and 11) and fundraising
batches (*Fundraisingkladde*, rule 12, flow F9).

A batch is entered over the API, reviewed (`preview`: what the transfer would do, computed on
the real ledger and rolled back) and transferred once. Transfer turns each manual line into a
payment of source `manual` that is matched and applied by the manual source's setup (orders
posted, gift and write-off calculated); each fundraising line into a payment and a gift at
once. Lines stay with the transferred batch as its record (the manual removes them; an audit
trail keeps them). Transferring is idempotent: each line's payment carries the bank reference
`batch:<id>:<line>`, and a transferred batch refuses a second transfer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.setup import SourceKind
from federa.payments.events import Events
from federa.payments.imports import report
from federa.payments.ledger.posting import (
    Donation,
    IncomingPayment,
    Posted,
    receive_donation,
    receive_payments_in_tx,
)
from federa.payments.ledger.workset import Workset, load_workset_in_tx
from federa.payments.storage.tables import members, payment_batch_lines, payment_batches
from federa.payments.tenancy import SetupDocument
from federa.shared.http.problems import Problem
from federa.shared.payment_reference import is_valid_reference

KINDS = ("manual", "fundraising")


@dataclass(frozen=True)
class Line:
    amount: int
    posting_date: date
    member_id: uuid.UUID | None = None
    # What staff type (SPEC: "member no."); resolved to `member_id` from the member copy.
    member_number: int | None = None
    payer_number: int | None = None
    invoice_no: str | None = None
    payment_reference: str | None = None
    description: str | None = None
    campaign: str | None = None
    posting_type: str | None = None


def check_lines(kind: str, lines: list[Line], first_line_no: int = 1) -> None:
    """Refuse the whole batch when a line is wrong, naming the line and the field."""
    errors = []
    for n, line in enumerate(lines, start=first_line_no):
        if line.amount <= 0:
            errors.append({"line": n, "field": "amount", "message": "must be positive"})
        if line.payment_reference and not is_valid_reference(line.payment_reference):
            errors.append(
                {"line": n, "field": "payment_reference", "message": "bad check digit or shape"}
            )
        if kind == "manual" and not (
            line.member_id
            or line.member_number
            or line.payer_number
            or line.invoice_no
            or line.payment_reference
        ):
            errors.append(
                {
                    "line": n,
                    "field": "member_id",
                    "message": "name a member, payer number, invoice number or reference",
                }
            )
    if errors:
        raise Problem(
            422,
            "invalid-batch-lines",
            "Invalid batch lines",
            f"{len(errors)} bad line(s)",
            errors=errors,
        )


async def resolve_members_in_tx(
    session: AsyncSession, tenant: str, lines: list[Line], first_line_no: int = 1
) -> list[Line]:
    """Member numbers to member ids, from payments' copy of the members."""
    numbers = sorted({ln.member_number for ln in lines if ln.member_number is not None})
    if not numbers:
        return lines
    rows = await session.execute(
        select(members.c.member_number, members.c.member_id).where(
            members.c.tenant == tenant, members.c.member_number.in_(numbers)
        )
    )
    found = {int(r.member_number): r.member_id for r in rows}
    errors = [
        {"line": n, "field": "member_number", "message": f"no member {ln.member_number}"}
        for n, ln in enumerate(lines, start=first_line_no)
        if ln.member_number is not None and ln.member_number not in found
    ]
    if errors:
        raise Problem(
            422,
            "invalid-batch-lines",
            "Invalid batch lines",
            f"{len(errors)} bad line(s)",
            errors=errors,
        )
    return [
        replace(ln, member_id=found[ln.member_number]) if ln.member_number is not None else ln
        for ln in lines
    ]


def _row(batch_id: uuid.UUID, line_no: int, line: Line) -> dict[str, Any]:
    values = {k: v for k, v in line.__dict__.items() if k != "member_number"}
    return {"batch_id": batch_id, "line_no": line_no, **values}


async def create_batch_in_tx(
    session: AsyncSession,
    tenant: str,
    *,
    kind: str,
    name: str,
    currency: str,
    lines: list[Line],
    actor: str,
) -> uuid.UUID:
    check_lines(kind, lines)
    lines = await resolve_members_in_tx(session, tenant, lines)
    batch_id = uuid.uuid4()
    await session.execute(
        insert(payment_batches).values(
            batch_id=batch_id,
            tenant=tenant,
            kind=kind,
            name=name,
            status="open",
            currency=currency,
            created_by=actor,
        )
    )
    await _insert_lines(session, batch_id, lines, 1)
    return batch_id


async def _insert_lines(
    session: AsyncSession, batch_id: uuid.UUID, lines: list[Line], first: int
) -> None:
    if lines:
        await session.execute(
            insert(payment_batch_lines),
            [_row(batch_id, n, line) for n, line in enumerate(lines, start=first)],
        )


async def load_batch(
    session: AsyncSession, tenant: str, batch_id: uuid.UUID, *, lock: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    query = select(payment_batches).where(
        payment_batches.c.tenant == tenant, payment_batches.c.batch_id == batch_id
    )
    if lock:
        query = query.with_for_update()
    batch = (await session.execute(query)).mappings().one_or_none()
    if batch is None:
        raise Problem(404, "batch-not-found", "Batch not found", f"No payment batch {batch_id}.")
    lines = await session.execute(
        select(payment_batch_lines)
        .where(payment_batch_lines.c.batch_id == batch_id)
        .order_by(payment_batch_lines.c.line_no)
    )
    return dict(batch), [dict(r) for r in lines.mappings()]


async def add_lines_in_tx(
    session: AsyncSession, tenant: str, batch_id: uuid.UUID, lines: list[Line]
) -> None:
    batch, existing = await load_batch(session, tenant, batch_id, lock=True)
    if batch["status"] != "open":
        raise Problem(
            409, "batch-transferred", "Batch transferred", "A transferred batch is closed."
        )
    first = (max((r["line_no"] for r in existing), default=0)) + 1
    check_lines(batch["kind"], lines, first)
    lines = await resolve_members_in_tx(session, tenant, lines, first)
    await _insert_lines(session, batch_id, lines, first)


async def transfer_in_tx(
    session: AsyncSession,
    tenant: str,
    setup: SetupDocument,
    batch_id: uuid.UUID,
    actor: str,
    *,
    preview: bool = False,
) -> list[Posted]:
    batch, lines = await load_batch(session, tenant, batch_id, lock=True)
    if batch["status"] != "open":
        raise Problem(
            409, "batch-transferred", "Batch transferred", f"Batch {batch_id} was transferred."
        )
    if not lines:
        raise Problem(409, "batch-empty", "Batch empty", "A batch needs lines to transfer.")
    today = datetime.now(UTC).date()
    ws = Workset(tenant, today, Events(tenant, causation_id=str(batch_id)))
    if batch["kind"] == "fundraising":
        await load_workset_in_tx(
            session, ws, member_ids=[r["member_id"] for r in lines if r["member_id"]]
        )
        posted = [
            receive_donation(
                ws,
                setup,
                Donation(
                    amount=r["amount"],
                    currency=batch["currency"],
                    value_date=r["posting_date"],
                    member_id=r["member_id"],
                    posting_type=r["posting_type"],
                    campaign=r["campaign"],
                    batch_id=batch_id,
                    entry_no=r["line_no"],
                    description=r["description"],
                ),
            )
            for r in lines
        ]
        await ws.flush_in_tx(session)
    else:
        posted = await receive_payments_in_tx(
            session,
            ws,
            setup,
            [
                IncomingPayment(
                    source="manual",
                    source_kind=SourceKind.MANUAL,
                    amount=r["amount"],
                    currency=batch["currency"],
                    value_date=r["posting_date"],
                    booking_date=r["posting_date"],
                    bank_reference=f"batch:{batch_id}:{r['line_no']}",
                    reference=r["payment_reference"],
                    invoice_no=r["invoice_no"],
                    payer_number=r["payer_number"],
                    member_id=r["member_id"],
                    description=r["description"],
                    batch_id=batch_id,
                    entry_no=r["line_no"],
                )
                for r in lines
            ],
        )
    if not preview:
        for p in posted:
            await session.execute(
                update(payment_batch_lines)
                .where(
                    payment_batch_lines.c.batch_id == batch_id,
                    payment_batch_lines.c.line_no == p.entry_no,
                )
                .values(payment_id=p.payment_id)
            )
        await session.execute(
            update(payment_batches)
            .where(payment_batches.c.batch_id == batch_id)
            .values(status="transferred", transferred_at=func.now(), transferred_by=actor)
        )
    return posted


def summary(posted: list[Posted]) -> dict[str, Any]:
    return {
        "counts": report.add_counts(report.empty_counts(), posted),
        "lines": [report.line(p) for p in posted],
    }
