"""Recognising deferred revenue through a fiscal period, inside the caller's transaction.

Set-based: the deferred lines are read in keyset batches (only those with a share up to the
period not recognised yet, found in SQL), the pure schedule (`domain/deferral.py`) decides
each line's shares, the shares are written with COPY, and the journal rows are one
INSERT ... SELECT ... GROUP BY over them. Exactly once: a tenant's recognitions run one at a
time (a transaction-scoped advisory lock), each must reach past the previous one, and
`pk_deferral_shares` refuses a line's share of a fiscal period twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, literal, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.deferrals.events import recognised_events
from federa.billing.deferrals.setup import setup_of
from federa.billing.domain.deferral import DeferredLine, FiscalPeriod, shares_to_recognise
from federa.billing.storage.deferral_tables import (
    deferral_journal,
    deferral_recognitions,
    deferral_shares,
)
from federa.billing.storage.documents_tables import document_lines, documents
from federa.billing.tenancy import settings_of
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import copy_rows_in_tx, record_events_in_tx

# Lines per batch: a few MB of rows in memory, a few thousand shares per COPY.
BATCH_SIZE = 5000

SHARE_COLUMNS = (
    "document_id",
    "line_no",
    "fiscal_period",
    "booked_period",
    "recognition_id",
    "amount",
)


@dataclass(frozen=True)
class Recognition:
    row: dict[str, Any]
    created: bool


async def recognition_by_key(
    session: AsyncSession, tenant: str, idempotency_key: str
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(deferral_recognitions).where(
                    deferral_recognitions.c.tenant == tenant,
                    deferral_recognitions.c.idempotency_key == idempotency_key,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def _last_through(session: AsyncSession, tenant: str) -> FiscalPeriod | None:
    last: date | None = (
        await session.execute(
            select(func.max(deferral_recognitions.c.through_period)).where(
                deferral_recognitions.c.tenant == tenant
            )
        )
    ).scalar_one()
    return None if last is None else FiscalPeriod.of(last)


async def _candidates(
    session: AsyncSession,
    tenant: str,
    through_end: date,
    after: tuple[uuid.UUID, int] | None,
) -> Sequence[Any]:
    """The next batch of deferred lines of posted invoices and credit memos with a share up to
    `through_end` not recognised yet: the line's share of its last month up to then is
    missing (a recognition takes a line's shares up to its period all at once)."""
    d, line, s = documents.c, document_lines.c, deferral_shares.c
    last_month = func.date_trunc(
        "month", func.least(func.coalesce(line.period_to, d.posting_date), through_end)
    ).cast(deferral_shares.c.fiscal_period.type)
    recognised_through = (
        select(func.max(s.fiscal_period))
        .where(s.document_id == line.document_id, s.line_no == line.line_no)
        .scalar_subquery()
    )
    where = [
        d.tenant == tenant,
        d.status == "posted",
        d.kind.in_(("invoice", "credit_memo")),
        d.posting_date <= through_end,
        line.deferral_account.is_not(None),
        func.coalesce(line.period_from, d.posting_date) <= through_end,
        ~select(s.document_id)
        .where(
            s.document_id == line.document_id,
            s.line_no == line.line_no,
            s.fiscal_period == last_month,
        )
        .exists(),
    ]
    if after is not None:
        where.append(tuple_(line.document_id, line.line_no) > tuple_(literal(after[0]), after[1]))
    rows = await session.execute(
        select(
            line.document_id,
            line.line_no,
            line.amount,
            line.period_from,
            line.period_to,
            d.kind,
            d.posting_date,
            recognised_through.label("recognised_through"),
        )
        .join(documents, d.id == line.document_id)
        .where(and_(*where))
        .order_by(line.document_id, line.line_no)
        .limit(BATCH_SIZE)
    )
    return rows.all()


def _share_rows(
    batch: Sequence[Any],
    recognition_id: uuid.UUID,
    through: FiscalPeriod,
    first_open: FiscalPeriod | None,
) -> list[tuple[Any, ...]]:
    rows = []
    for r in batch:
        line = DeferredLine(
            # A credit memo's line moves revenue back: its shares are negative.
            amount=-r.amount if r.kind == "credit_memo" else r.amount,
            period_from=r.period_from,
            period_to=r.period_to,
            posted_on=r.posting_date,
        )
        done = None if r.recognised_through is None else FiscalPeriod.of(r.recognised_through)
        for share in shares_to_recognise(
            line, through=through, line_recognised_through=done, first_open=first_open
        ):
            rows.append(
                (
                    r.document_id,
                    r.line_no,
                    share.period.first_day,
                    share.booked_in.first_day,
                    recognition_id,
                    share.amount,
                )
            )
    return rows


async def _write_journal(session: AsyncSession, tenant: str, recognition_id: uuid.UUID) -> None:
    """One journal row per booked period and account pair of the recognition's shares; pairs
    whose shares cancel out (an invoice and its credit in the same period) move nothing."""
    s, line = deferral_shares.c, document_lines.c
    amount = func.sum(s.amount)
    pairs = (
        select(
            literal(recognition_id).label("recognition_id"),
            literal(tenant).label("tenant"),
            s.booked_period,
            line.deferral_account,
            line.revenue_account,
            line.dimension_1,
            line.dimension_2,
            amount,
            func.count(),
        )
        .select_from(deferral_shares)
        .join(
            document_lines,
            and_(line.document_id == s.document_id, line.line_no == s.line_no),
        )
        .where(s.recognition_id == recognition_id)
        .group_by(
            s.booked_period,
            line.deferral_account,
            line.revenue_account,
            line.dimension_1,
            line.dimension_2,
        )
        .having(amount != 0)
    )
    await session.execute(
        insert(deferral_journal).from_select(
            [
                "recognition_id",
                "tenant",
                "fiscal_period",
                "deferral_account",
                "revenue_account",
                "dimension_1",
                "dimension_2",
                "amount",
                "lines",
            ],
            pairs,
        )
    )


async def journal_of(session: AsyncSession, recognition_ids: Sequence[uuid.UUID]) -> list[Any]:
    if not recognition_ids:
        return []
    j = deferral_journal.c
    rows = await session.execute(
        select(deferral_journal)
        .where(j.recognition_id.in_(list(recognition_ids)))
        .order_by(
            j.recognition_id,
            j.fiscal_period,
            j.deferral_account,
            j.revenue_account.nulls_first(),
            j.dimension_1.nulls_first(),
            j.dimension_2.nulls_first(),
        )
    )
    return [dict(r) for r in rows.mappings()]


async def recognise_in_tx(
    session: AsyncSession,
    tenant: str,
    through: FiscalPeriod,
    *,
    actor: str,
    idempotency_key: str | None = None,
) -> Recognition:
    """Recognise every fiscal period after the tenant's previous recognition up to `through`
    (for the first: every period up to it); publishes `billing.deferral.recognised` per fiscal
    period something was moved in. The same `idempotency_key` again: the first result. A
    period recognised already: 409, nothing changes."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"deferral:{tenant}"}
    )
    if idempotency_key is not None:
        earlier = await recognition_by_key(session, tenant, idempotency_key)
        if earlier is not None:
            return Recognition(earlier, created=False)
    last = await _last_through(session, tenant)
    if last is not None and through <= last:
        raise Problem(
            409,
            "fiscal-period-recognised",
            "Refused in the current state",
            f"Revenue is recognised through {last} already; recognise a later fiscal period "
            "(late documents of closed periods are caught up in it).",
        )
    first_open = None if last is None else last.next()
    setup = await setup_of(session, tenant)
    currency = (await settings_of(session, tenant)).currency
    recognition_id = uuid.uuid4()
    row: dict[str, Any] = {
        "id": recognition_id,
        "tenant": tenant,
        "through_period": through.first_day,
        "first_period": None if first_open is None else first_open.first_day,
        "currency": currency,
        "amount": 0,
        "lines": 0,
        "shares": 0,
        "idempotency_key": idempotency_key,
        "created_at": datetime.now(UTC),
        "created_by": actor,
    }
    await session.execute(insert(deferral_recognitions).values(**row))
    after: tuple[uuid.UUID, int] | None = None
    while batch := await _candidates(session, tenant, through.last_day, after):
        shares = _share_rows(batch, recognition_id, through, first_open)
        await copy_rows_in_tx(session, deferral_shares.name, SHARE_COLUMNS, shares)
        after = (batch[-1].document_id, batch[-1].line_no)
    await _write_journal(session, tenant, recognition_id)
    s = deferral_shares.c
    totals = (
        await session.execute(
            select(
                func.coalesce(func.sum(s.amount), 0),
                func.count(func.distinct(tuple_(s.document_id, s.line_no))),
                func.count(),
            ).where(s.recognition_id == recognition_id)
        )
    ).one()
    row.update(amount=int(totals[0]), lines=int(totals[1]), shares=int(totals[2]))
    await session.execute(
        update(deferral_recognitions)
        .where(deferral_recognitions.c.id == recognition_id)
        .values(amount=row["amount"], lines=row["lines"], shares=row["shares"])
    )
    journal = await journal_of(session, [recognition_id])
    await record_events_in_tx(session, recognised_events(row, journal, setup))
    return Recognition(row, created=True)
