"""Credit memos inside the caller's transaction (SPEC §2.2 rules 8, 14, 31, 37): what a
document still has to credit, issuing the memo with its number from the credit-memo sequence,
the billing log (a `credit` entry per subscription, the charge marked `credited_by`), and
`billing.credit_memo.issued`, all in one transaction. The rules are `domain/credits.py`.

Locks: subscriptions before documents, as a stop does, so a credit and a stop of the same
subscription wait for each other instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.events import record_issued_in_tx
from federa.billing.documents.settings import invoicing_settings_of
from federa.billing.documents.store import (
    IssuedDocument,
    insert_documents_in_tx,
    lines_of,
    number_documents_in_tx,
)
from federa.billing.domain.credits import (
    LATEST_DOCUMENT,
    LoggedCharge,
    credit_memo,
    creditable_lines,
    rewound,
)
from federa.billing.domain.documents import DocumentDraft, DocumentKind, DocumentLine
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.periods import Period
from federa.billing.domain.to_date_adjustment import ChargedDocument, credited_periods
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import billing_log, document_lines, documents
from federa.billing.storage.tables import subscriptions
from federa.billing.subscriptions.store import load_visible, state_of
from federa.shared.http.problems import Problem

Row = dict[str, Any]


def nothing_to_credit(detail: str) -> Problem:
    return Problem(409, "nothing-to-credit", "Refused in the current state", detail)


def charged_document(row: Row, lines: Sequence[DocumentLine]) -> ChargedDocument:
    return ChargedDocument(
        id=row["id"],
        payer=PayerId(row["payer_account_id"]),
        member=None if row["member_id"] is None else MemberId(row["member_id"]),
        organisation=(
            None if row["organisation_id"] is None else OrganisationId(row["organisation_id"])
        ),
        lines=tuple(lines),
    )


async def lock_document(session: AsyncSession, document_id: uuid.UUID) -> Row:
    row = (
        (
            await session.execute(
                select(documents).where(documents.c.id == document_id).with_for_update()
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


async def lock_subscriptions(session: AsyncSession, ids: Collection[uuid.UUID]) -> None:
    """In id order, as the billing run locks them."""
    if ids:
        await session.execute(
            select(subscriptions.c.id)
            .where(subscriptions.c.id.in_(list(ids)))
            .order_by(subscriptions.c.id)
            .with_for_update()
        )


async def subscriptions_on(session: AsyncSession, document_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(
        select(document_lines.c.subscription_id).where(
            document_lines.c.document_id == document_id,
            document_lines.c.subscription_id.is_not(None),
        )
    )
    return set(rows.scalars())


async def uncredited_charges(session: AsyncSession, document_id: uuid.UUID) -> set[uuid.UUID]:
    """Subscriptions whose charge on the document stands (not credited, order not cancelled)."""
    rows = await session.execute(
        select(billing_log.c.subscription_id).where(
            billing_log.c.document_id == document_id,
            billing_log.c.entry_kind == "charge",
            billing_log.c.credited_by_document_id.is_(None),
        )
    )
    return set(rows.scalars())


async def credited_before(session: AsyncSession, document_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(documents.c.id).where(documents.c.credits_document_id == document_id).limit(1)
    )
    return found.first() is not None


async def creditable(
    session: AsyncSession,
    head: Row,
    *,
    wanted: Callable[[DocumentLine], bool] = lambda _: True,
) -> tuple[ChargedDocument, list[DocumentLine]]:
    """The document as the domain reads it, and its lines a credit may still take."""
    lines = (await lines_of(session, [head["id"]]))[head["id"]]
    document = charged_document(head, lines)
    return document, creditable_lines(
        lines,
        uncredited=await uncredited_charges(session, head["id"]),
        whole_document_open=not await credited_before(session, head["id"]),
        wanted=wanted,
    )


async def issue_credit_memos_in_tx(
    session: AsyncSession,
    tenant: str,
    memos: Sequence[DocumentDraft],
    *,
    currency: str,
    credited_numbers: dict[uuid.UUID, str],
    actor: str,
    correlation_id: str | None = None,
) -> list[IssuedDocument]:
    """Number, store and publish the memos, and write the billing log: a `credit` entry per
    subscription and memo, and the credited charge marked. A charge someone else credited
    meanwhile refuses the whole credit (409): a period is never credited twice."""
    issued = await number_documents_in_tx(
        session,
        tenant,
        memos,
        currency=currency,
        billing_run_id=None,
        created_by=actor,
        credited_numbers=credited_numbers,
    )
    # The memo rows first: the billing log points at them.
    await insert_documents_in_tx(session, issued)
    for memo in memos:
        credited = [c.subscription_id for c in credited_periods(memo)]
        if not credited:
            continue
        marked = await session.execute(
            update(billing_log)
            .where(
                billing_log.c.document_id == memo.credits,
                billing_log.c.subscription_id.in_(credited),
                billing_log.c.entry_kind == "charge",
                billing_log.c.credited_by_document_id.is_(None),
            )
            .values(credited_by_document_id=memo.id)
            .returning(billing_log.c.subscription_id)
        )
        if set(marked.scalars()) != set(credited):
            raise nothing_to_credit("A period on this document was credited meanwhile.")
    log = [
        {
            "tenant": tenant,
            "subscription_id": credit.subscription_id,
            "entry_kind": "credit",
            "document_id": memo.id,
            "billing_run_id": None,
            "period_from": credit.period.start,
            "period_to": credit.period.end,
            "amount": credit.amount,
            "credited_by_document_id": None,
        }
        for memo in memos
        for credit in credited_periods(memo)
    ]
    if log:
        await session.execute(insert(billing_log), log)
    await record_issued_in_tx(session, issued, correlation_id=correlation_id)
    return issued


async def logged_charges(
    session: AsyncSession, subscription_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[LoggedCharge]]:
    found: dict[uuid.UUID, list[LoggedCharge]] = defaultdict(list)
    if not subscription_ids:
        return found
    rows = await session.execute(
        select(billing_log).where(
            billing_log.c.subscription_id.in_(list(subscription_ids)),
            billing_log.c.entry_kind == "charge",
        )
    )
    for row in rows.mappings():
        found[row["subscription_id"]].append(
            LoggedCharge(
                Period(row["period_from"], row["period_to"]),
                credited=row["credited_by_document_id"] is not None,
            )
        )
    return found


async def rewind_in_tx(
    session: AsyncSession, subscription_ids: Collection[uuid.UUID], *, actor: str
) -> None:
    """After a credit: each (locked) subscription whose latest charge was credited has that
    period unbilled again (`domain.credits.rewound`)."""
    charges = await logged_charges(session, subscription_ids)
    rows = await session.execute(
        select(subscriptions).where(subscriptions.c.id.in_(list(subscription_ids)))
    )
    for row in rows.mappings():
        state = state_of(dict(row), ())
        after = rewound(state, charges[row["id"]])
        if after == state:
            continue
        await session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == row["id"])
            .values(
                billed_from=after.billed_from,
                billed_through=after.billed_through,
                billing_status=after.billing_status.value,
                version=subscriptions.c.version + 1,
                updated_at=datetime.now(UTC),
                updated_by=actor,
            )
        )


async def latest_document_of(session: AsyncSession, subscription_id: uuid.UUID) -> Row | None:
    """The subscription's latest order or invoice that still stands (credit memos and
    cancelled orders are not "documents" to credit)."""
    row = (
        (
            await session.execute(
                select(documents)
                .where(
                    documents.c.id.in_(
                        select(document_lines.c.document_id).where(
                            document_lines.c.subscription_id == subscription_id
                        )
                    ),
                    documents.c.kind != DocumentKind.CREDIT_MEMO.value,
                    documents.c.status != "cancelled",
                )
                .order_by(
                    documents.c.posting_date.desc(),
                    documents.c.created_at.desc(),
                    documents.c.number.desc(),
                )
                .limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


async def credit_latest_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    *,
    posting_date: date,
    actor: str,
) -> IssuedDocument:
    """Rule 14 (`CreditLatestDocument`): the subscription's latest invoice is credited whole,
    the other subscriptions on it included, and each of them whose latest period it was has
    that period unbilled again."""
    await load_visible(session, scope, subscription_id)
    head = await latest_document_of(session, subscription_id)
    if head is None:
        raise nothing_to_credit(f"Subscription {subscription_id} has no invoice to credit.")
    await lock_subscriptions(session, await subscriptions_on(session, head["id"]))
    head = await lock_document(session, head["id"])
    if head["status"] != "posted" or head["kind"] != DocumentKind.INVOICE.value:
        raise Problem(
            409,
            "document-not-posted",
            "Refused in the current state",
            f"The latest document {head['document_no']} is an open {head['kind']}: nothing is "
            "owed on it until it is posted; delete it instead (DELETE /v1/documents/{id}).",
        )
    document, lines = await creditable(session, head)
    settings = await invoicing_settings_of(session, scope.tenant)
    memo = credit_memo(
        document,
        lines,
        document_no=head["document_no"],
        reason=LATEST_DOCUMENT,
        posting_date=posting_date,
        payment_terms_days=settings.payment_terms_days,
    )
    if memo is None:
        raise nothing_to_credit(f"Invoice {head['document_no']} is credited already.")
    [issued] = await issue_credit_memos_in_tx(
        session,
        scope.tenant,
        [memo],
        currency=head["currency"],
        credited_numbers={head["id"]: head["document_no"]},
        actor=actor,
    )
    await rewind_in_tx(session, {c.subscription_id for c in credited_periods(memo)}, actor=actor)
    return issued


def posted_invoice(head: Row) -> bool:
    return bool(head["kind"] == DocumentKind.INVOICE.value and head["status"] == "posted")


def of_subscription(subscription_id: uuid.UUID) -> Callable[[DocumentLine], bool]:
    return lambda line: line.subscription_id == subscription_id
