"""Mass credit of a product (SPEC §2.2 rule 37, *Massekreditering ydelse*): every posted
invoice line of the product in a posting-date range is credited, without new charges.

A mass credit is a row whose counts are its progress; the invoices are credited in batches,
one transaction each (a credit memo per invoice, of the product's lines only, with the mass
credit's description and document date). Only lines not credited yet are taken, so a retry —
the same `Idempotency-Key` resumes the same mass credit, a new request finds what is left —
never credits a period twice. As with every credit, a period that was a subscription's latest
is unbilled again (README "Credits").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.credits import (
    creditable,
    issue_credit_memos_in_tx,
    lock_document,
    lock_subscriptions,
    posted_invoice,
    rewind_in_tx,
)
from federa.billing.documents.queries import visible_documents
from federa.billing.documents.settings import invoicing_settings_of
from federa.billing.domain.credits import MASS_CREDIT, credit_memo
from federa.billing.domain.errors import ImpossibleDates, UnknownProduct
from federa.billing.domain.to_date_adjustment import credited_periods
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import billing_log, document_lines, documents
from federa.billing.storage.settlement_tables import mass_credits
from federa.billing.storage.tables import products
from federa.shared.db import Database
from federa.shared.http.problems import Problem

Row = dict[str, Any]
BATCH = 50


@dataclass(frozen=True)
class Planned:
    row: Row
    created: bool  # False: an earlier request with the same idempotency key made it


@dataclass(frozen=True)
class MassCreditRequest:
    product: str
    posting_from: date
    posting_to: date
    document_date: date
    description: str


def _candidates(scope: Scope, request: Row) -> Any:
    """Posted invoices in the range with a line of the product whose charge still stands."""
    line, log = document_lines.c, billing_log.c
    standing = (
        select(line.document_id)
        .join(
            billing_log,
            and_(
                log.document_id == line.document_id,
                log.subscription_id == line.subscription_id,
                log.entry_kind == "charge",
                log.credited_by_document_id.is_(None),
            ),
        )
        .where(line.product_code == request["product"])
    )
    return (
        select(documents.c.id)
        .where(
            visible_documents(scope),
            documents.c.kind == "invoice",
            documents.c.status == "posted",
            documents.c.posting_date.between(request["posting_from"], request["posting_to"]),
            documents.c.id.in_(standing),
        )
        .order_by(documents.c.id)
    )


async def load_mass_credit(session: AsyncSession, tenant: str, mass_credit_id: uuid.UUID) -> Row:
    row = (
        (
            await session.execute(
                select(mass_credits).where(
                    mass_credits.c.id == mass_credit_id, mass_credits.c.tenant == tenant
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise Problem(
            404, "mass-credit-not-found", "Not found", f"No mass credit {mass_credit_id}."
        )
    return dict(row)


async def plan_in_tx(
    session: AsyncSession,
    scope: Scope,
    request: MassCreditRequest,
    *,
    actor: str,
    idempotency_key: str | None,
) -> Planned:
    """The mass credit an earlier request with the key made, or a new one."""
    if idempotency_key is not None:
        earlier = (
            await session.execute(
                select(mass_credits.c.id).where(
                    mass_credits.c.tenant == scope.tenant,
                    mass_credits.c.idempotency_key == idempotency_key,
                )
            )
        ).scalar_one_or_none()
        if earlier is not None:
            return Planned(await load_mass_credit(session, scope.tenant, earlier), created=False)
    if request.posting_to < request.posting_from:
        raise ImpossibleDates(
            f"the posting-date range ends {request.posting_to} before it starts "
            f"{request.posting_from}"
        )
    known = await session.execute(
        select(products.c.code).where(
            products.c.tenant == scope.tenant, products.c.code == request.product
        )
    )
    if known.first() is None:
        raise UnknownProduct(f"no product {request.product}")
    row: Row = {
        "id": uuid.uuid4(),
        "tenant": scope.tenant,
        "product": request.product,
        "posting_from": request.posting_from,
        "posting_to": request.posting_to,
        "document_date": request.document_date,
        "description": request.description,
        "status": "running",
        "documents_done": 0,
        "credit_memos": 0,
        "amount": 0,
        "idempotency_key": idempotency_key,
        "created_at": datetime.now(UTC),
        "created_by": actor,
        "finished_at": None,
    }
    total = (
        await session.execute(select(func.count()).select_from(_candidates(scope, row).subquery()))
    ).scalar_one()
    row["documents_total"] = int(total)
    await session.execute(insert(mass_credits).values(**row))
    return Planned(row, created=True)


async def _credit_batch_in_tx(
    session: AsyncSession, scope: Scope, job: Row, ids: list[uuid.UUID]
) -> tuple[int, int]:
    settings = await invoicing_settings_of(session, scope.tenant)
    memos, amount = 0, 0
    for document_id in ids:
        charged = (
            await session.execute(
                select(document_lines.c.subscription_id).where(
                    document_lines.c.document_id == document_id,
                    document_lines.c.product_code == job["product"],
                    document_lines.c.subscription_id.is_not(None),
                )
            )
        ).scalars()
        subscription_ids = set(charged)
        await lock_subscriptions(session, subscription_ids)
        head = await lock_document(session, document_id)
        if not posted_invoice(head):
            continue
        document, lines = await creditable(
            session, head, wanted=lambda line: line.product_code == job["product"]
        )
        memo = credit_memo(
            document,
            lines,
            document_no=head["document_no"],
            reason=MASS_CREDIT,
            posting_date=job["document_date"],
            payment_terms_days=settings.payment_terms_days,
            description=job["description"],
        )
        if memo is None:
            continue
        await issue_credit_memos_in_tx(
            session,
            scope.tenant,
            [memo],
            currency=head["currency"],
            credited_numbers={head["id"]: head["document_no"]},
            actor=job["created_by"],
            correlation_id=str(job["id"]),
        )
        await rewind_in_tx(
            session, {c.subscription_id for c in credited_periods(memo)}, actor=job["created_by"]
        )
        memos += 1
        amount += memo.total_amount
    return memos, amount


async def run_mass_credit(db: Database, scope: Scope, mass_credit_id: uuid.UUID) -> Row:
    """Credit what is left in batches until nothing is; the counts follow each batch."""
    seen: set[uuid.UUID] = set()
    while True:
        async with db.transaction() as session:
            job = await load_mass_credit(session, scope.tenant, mass_credit_id)
            if job["status"] == "completed":
                return job
            query = _candidates(scope, job).limit(BATCH)
            if seen:
                query = query.where(documents.c.id.not_in(seen))
            ids = list((await session.execute(query)).scalars())
            values: Row
            if not ids:
                values = {"status": "completed", "finished_at": datetime.now(UTC)}
            else:
                seen.update(ids)
                memos, amount = await _credit_batch_in_tx(session, scope, job, ids)
                values = {
                    "documents_done": mass_credits.c.documents_done + len(ids),
                    "credit_memos": mass_credits.c.credit_memos + memos,
                    "amount": mass_credits.c.amount + amount,
                }
            await session.execute(
                update(mass_credits).where(mass_credits.c.id == mass_credit_id).values(**values)
            )
