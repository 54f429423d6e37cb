"""The part of the ledger one transaction works on: the open items of the payers a batch of
payments touches, locked for the transaction, and what the batch writes.

Loaded with a handful of queries per batch (not per payment), changed in memory as each
payment is applied, and written back at the end with one statement per table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.items import OpenItem
from federa.payments.domain.matching import Known, NamedDocument
from federa.payments.domain.setup import MatchingMode
from federa.payments.events import Events
from federa.payments.storage.tables import (
    ledger_entries,
    payer_accounts,
    payer_settings,
    payment_exceptions,
    payments,
    receivables,
    refunds,
)


@dataclass
class Receivable:
    """An open item with what the ledger needs beside the domain's view."""

    item: OpenItem
    payer_id: uuid.UUID
    member_id: uuid.UUID | None
    subscription_ids: list[uuid.UUID]
    currency: str
    version: int
    changed: bool = False
    closed_how: str | None = None

    def take(self, amount: int) -> None:
        self.item = replace(self.item, remaining=self.item.remaining - amount)
        self.changed = True


@dataclass
class Workset:
    tenant: str
    today: date
    events: Events
    known: Known = field(default_factory=Known)
    receivables: dict[uuid.UUID, Receivable] = field(default_factory=dict)
    by_payer: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    modes: dict[uuid.UUID, MatchingMode] = field(default_factory=dict)
    owners: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    payer_by_member: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    payment_rows: list[dict[str, Any]] = field(default_factory=list)
    ledger_rows: list[dict[str, Any]] = field(default_factory=list)
    exception_rows: list[dict[str, Any]] = field(default_factory=list)
    refund_rows: list[dict[str, Any]] = field(default_factory=list)

    def items_of(self, payer_id: uuid.UUID) -> list[OpenItem]:
        return [self.receivables[d].item for d in self.by_payer.get(payer_id, ())]

    def mode_of(self, payer_id: uuid.UUID, default: MatchingMode) -> MatchingMode:
        return self.modes.get(payer_id, default)

    def ledger(self, kind: str, amount: int, currency: str, **values: Any) -> None:
        row: dict[str, Any] = {
            "tenant": self.tenant,
            "kind": kind,
            "amount": amount,
            "currency": currency,
            "entry_date": self.today,
            "payer_account_id": None,
            "document_id": None,
            "payment_id": None,
            "member_id": None,
            "posting_type": None,
            "reverses": None,
            "note": None,
        }
        row.update(values)
        self.ledger_rows.append(row)

    async def flush_in_tx(self, session: AsyncSession) -> None:
        if self.payment_rows:
            await session.execute(insert(payments), self.payment_rows)
        if self.ledger_rows:
            await session.execute(insert(ledger_entries), self.ledger_rows)
        if self.exception_rows:
            await session.execute(insert(payment_exceptions), self.exception_rows)
        if self.refund_rows:
            await session.execute(insert(refunds), self.refund_rows)
        changed = [r for r in self.receivables.values() if r.changed]
        if changed:
            await session.execute(
                update(receivables)
                .where(receivables.c.document_id == bindparam("b_id"))
                .values(
                    remaining=bindparam("b_remaining"),
                    status=bindparam("b_status"),
                    closed_on=bindparam("b_closed_on"),
                    closed_how=bindparam("b_closed_how"),
                    version=bindparam("b_version"),
                ),
                [
                    {
                        "b_id": r.item.document_id,
                        "b_remaining": r.item.remaining,
                        "b_status": "open" if r.item.remaining else "closed",
                        "b_closed_on": None if r.item.remaining else self.today,
                        "b_closed_how": None if r.item.remaining else r.closed_how,
                        "b_version": r.version,
                    }
                    for r in changed
                ],
            )
            for r in changed:
                r.changed = False
        await self.events.flush_in_tx(session)
        self.payment_rows.clear()
        self.ledger_rows.clear()
        self.exception_rows.clear()
        self.refund_rows.clear()


async def load_workset_in_tx(
    session: AsyncSession,
    ws: Workset,
    *,
    references: Iterable[str] = (),
    invoice_nos: Iterable[str] = (),
    payer_numbers: Iterable[int] = (),
    member_ids: Iterable[uuid.UUID] = (),
    payer_ids: Iterable[uuid.UUID] = (),
) -> None:
    """Load what the payments' hints point at, then lock and load those payers' open items."""
    tenant = ws.tenant
    refs, nos = sorted(set(references)), sorted(set(invoice_nos))
    by_reference: dict[str, NamedDocument] = {}
    by_invoice_no: dict[str, NamedDocument] = {}
    if refs or nos:
        rows = await session.execute(
            select(
                receivables.c.document_id,
                receivables.c.payer_account_id,
                receivables.c.status,
                receivables.c.remaining,
                receivables.c.payment_reference,
                receivables.c.document_no,
            ).where(
                receivables.c.tenant == tenant,
                receivables.c.status != "draft",
                receivables.c.payment_reference.in_(refs) | receivables.c.document_no.in_(nos),
            )
        )
        for row in rows:
            named = NamedDocument(
                row.document_id, row.payer_account_id, row.status == "open" and row.remaining > 0
            )
            if row.payment_reference in refs:
                by_reference[row.payment_reference] = named
            if row.document_no in nos:
                by_invoice_no[row.document_no] = named
    payer_by_number: dict[int, uuid.UUID] = {}
    numbers = sorted(set(payer_numbers))
    if numbers:
        rows = await session.execute(
            select(payer_accounts.c.number, payer_accounts.c.payer_account_id).where(
                payer_accounts.c.tenant == tenant, payer_accounts.c.number.in_(numbers)
            )
        )
        payer_by_number = {int(r.number): r.payer_account_id for r in rows}
    members = sorted(set(member_ids))
    if members:
        rows = await session.execute(
            select(payer_accounts.c.owner_member_id, payer_accounts.c.payer_account_id).where(
                payer_accounts.c.tenant == tenant, payer_accounts.c.owner_member_id.in_(members)
            )
        )
        ws.payer_by_member.update({r.owner_member_id: r.payer_account_id for r in rows})
    ws.known = Known(
        by_reference={**ws.known.by_reference, **by_reference},
        by_invoice_no={**ws.known.by_invoice_no, **by_invoice_no},
        payer_by_number={**ws.known.payer_by_number, **payer_by_number},
    )
    payers = {
        *payer_ids,
        *(d.payer_id for d in by_reference.values()),
        *(d.payer_id for d in by_invoice_no.values()),
        *payer_by_number.values(),
        *ws.payer_by_member.values(),
    }
    await lock_payers_in_tx(session, ws, payers)


async def lock_payers_in_tx(session: AsyncSession, ws: Workset, payers: set[uuid.UUID]) -> None:
    """Load and lock the open items of `payers` not loaded yet (in a fixed order, so two
    transactions locking overlapping payers cannot deadlock)."""
    wanted = sorted(p for p in payers if p not in ws.owners)
    if not wanted:
        return
    rows = await session.execute(
        select(receivables)
        .where(
            receivables.c.tenant == ws.tenant,
            receivables.c.payer_account_id.in_(wanted),
            receivables.c.status == "open",
        )
        .order_by(receivables.c.document_id)
        .with_for_update()
    )
    for row in rows.mappings():
        ws.receivables[row["document_id"]] = Receivable(
            item=OpenItem(
                document_id=row["document_id"],
                document_no=row["document_no"],
                kind=row["kind"],
                remaining=row["remaining"],
                due_date=row["due_date"],
                posting_date=row["posting_date"],
                posting_types=tuple(row["posting_types"] or ()),
                member_id=row["member_id"],
            ),
            payer_id=row["payer_account_id"],
            member_id=row["member_id"],
            subscription_ids=list(row["subscription_ids"] or ()),
            currency=row["currency"],
            version=row["version"],
        )
        ws.by_payer.setdefault(row["payer_account_id"], []).append(row["document_id"])
    modes = await session.execute(
        select(payer_settings.c.payer_account_id, payer_settings.c.matching_mode).where(
            payer_settings.c.payer_account_id.in_(wanted)
        )
    )
    ws.modes.update({r.payer_account_id: MatchingMode(r.matching_mode) for r in modes})
    owners = await session.execute(
        select(payer_accounts.c.payer_account_id, payer_accounts.c.owner_member_id).where(
            payer_accounts.c.payer_account_id.in_(wanted)
        )
    )
    found = {r.payer_account_id: r.owner_member_id for r in owners}
    ws.owners.update({p: found.get(p) for p in wanted})
