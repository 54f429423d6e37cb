"""Cancelling an open order or draft (SPEC §2.2 rules 8, 36, `DeleteOrderLines/Documents`).

Lines are immutable (migration 0003), so an order that loses one subscription's lines is
cancelled and the rest issued anew as a replacement order with its own number; the billing
log's charges of the remaining subscriptions move to it. A cancelled order's charges are
either taken back (`undo`: the period is unbilled again, its charge marked credited by the
cancelled order) or left standing (closed at zero: the period stays billed, nothing is owed).
Publishes `billing.document.cancelled` (and `document.issued` for a replacement).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.credits import charged_document
from federa.billing.documents.events import record_issued_in_tx
from federa.billing.documents.store import (
    IssuedDocument,
    insert_documents_in_tx,
    lines_of,
    number_documents_in_tx,
)
from federa.billing.domain.documents import DocumentDraft, DocumentKind
from federa.billing.storage.documents_tables import billing_log, documents
from federa.billing.storage.settlement_tables import document_cancellations
from federa.shared.contracts.billing import DOCUMENT_CANCELLED, DocumentCancelledV1
from federa.shared.envelope import new_event
from federa.shared.http.problems import Problem
from federa.shared.messaging.outbox import record_event_in_tx

Row = dict[str, Any]


def ensure_open(head: Row) -> None:
    """Only an order or draft nothing was posted from; a posted document is corrected by a
    credit memo, never deleted."""
    if head["status"] != "open":
        raise Problem(
            409,
            "document-not-open",
            "Refused in the current state",
            f"Document {head['document_no']} is a {head['status']} {head['kind']}; only open "
            "orders and draft invoices can be cancelled (credit a posted invoice instead).",
        )


async def cancel_in_tx(
    session: AsyncSession,
    head: Row,
    *,
    reason: str,
    actor: str,
    undo: Collection[uuid.UUID] = (),
    replace_rest: bool = False,
) -> IssuedDocument | None:
    """Cancel the locked open document `head`. Charges of the subscriptions in `undo` are
    taken back; with `replace_rest` the other subscriptions' lines are issued anew (returned).
    """
    ensure_open(head)
    tenant = head["tenant"]
    replacement: IssuedDocument | None = None
    if replace_rest:
        lines = (await lines_of(session, [head["id"]]))[head["id"]]
        rest = [line for line in lines if line.subscription_id not in undo]
        if rest:
            document = charged_document(head, rest)
            draft = DocumentDraft(
                id=uuid.uuid4(),
                kind=DocumentKind(head["kind"]),
                payer=document.payer,
                member=document.member,
                organisation=document.organisation,
                posting_date=head["posting_date"],
                due_date=head["due_date"],
                lines=tuple(replace(line, line_no=n) for n, line in enumerate(rest, start=1)),
            )
            [replacement] = await number_documents_in_tx(
                session,
                tenant,
                [draft],
                currency=head["currency"],
                billing_run_id=head["billing_run_id"],
                created_by=actor,
            )
            await insert_documents_in_tx(session, [replacement])
            await session.execute(
                update(billing_log)
                .where(
                    billing_log.c.document_id == head["id"],
                    billing_log.c.entry_kind == "charge",
                    billing_log.c.subscription_id.in_(
                        {line.subscription_id for line in rest if line.subscription_id}
                    ),
                )
                .values(document_id=draft.id)
            )
            await record_issued_in_tx(session, [replacement])
    version = head["version"] + 1
    await session.execute(
        update(documents)
        .where(documents.c.id == head["id"])
        .values(status="cancelled", version=version)
    )
    await session.execute(
        insert(document_cancellations).values(
            document_id=head["id"],
            tenant=tenant,
            reason=reason,
            replaced_by_document_id=None if replacement is None else replacement.draft.id,
            cancelled_at=datetime.now(UTC),
            cancelled_by=actor,
        )
    )
    if undo:
        await session.execute(
            update(billing_log)
            .where(
                billing_log.c.document_id == head["id"],
                billing_log.c.entry_kind == "charge",
                billing_log.c.subscription_id.in_(list(undo)),
                billing_log.c.credited_by_document_id.is_(None),
            )
            .values(credited_by_document_id=head["id"])
        )
    await record_event_in_tx(
        session,
        new_event(
            DOCUMENT_CANCELLED,
            DocumentCancelledV1(
                document_id=head["id"],
                kind=head["kind"],
                document_no=head["document_no"],
                payer_account_id=head["payer_account_id"],
                member_id=head["member_id"],
                reason=reason,
            ),
            subject=str(head["id"]),
            tenant=tenant,
            aggregate_version=version,
        ),
    )
    return replacement
