"""Zero-value invoices for recruitment gifts (*Dan Nul-faktura på Hvervegaver*: "dannes der
0-faktura og dermed trækkes fra Lager").

One posted invoice per gift, of one line with the gift item at price 0, to the recipient's own
payer account; the gift is marked fulfilled in the same transaction and
`billing.recruitment_gift.fulfilled` says which item left stock (there is no inventory
service: the invoice line and that event are the record). Each gift is invoiced once: gifts
are locked and selected only while not invoiced, so a concurrent or repeated request finds
nothing more to do. Batches of 100 gifts, one transaction each; with an `Idempotency-Key` the
first result is stored and a repeat returns it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.events import record_issued_in_tx
from federa.billing.documents.store import insert_documents_in_tx, number_documents_in_tx
from federa.billing.domain.documents import DocumentDraft
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.domain.recruitment_gifts import gift_invoice
from federa.billing.recruitment.events import record_fulfilled_in_tx
from federa.billing.recruitment.queries import GiftFilter, matching, visible_gifts
from federa.billing.scope import Scope
from federa.billing.storage.recruitment_tables import recruitment_gift_invoicings, recruitment_gifts
from federa.billing.storage.tables import members
from federa.billing.tenancy import settings_of
from federa.shared.db import Database
from federa.shared.http.problems import Problem

Row = dict[str, Any]


@dataclass(frozen=True)
class InvoiceRequest:
    """A paid window (both days included) or a list of gifts; posting date default today."""

    paid_from: date | None = None
    paid_to: date | None = None
    gift_ids: tuple[uuid.UUID, ...] = ()
    posting_date: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "paid_from": None if self.paid_from is None else self.paid_from.isoformat(),
            "paid_to": None if self.paid_to is None else self.paid_to.isoformat(),
            "gift_ids": sorted(str(g) for g in self.gift_ids),
            "posting_date": None if self.posting_date is None else self.posting_date.isoformat(),
        }


@dataclass
class InvoiceOutcome:
    gift_ids: list[uuid.UUID] = field(default_factory=list)
    document_ids: list[uuid.UUID] = field(default_factory=list)
    # Gifts not invoiced, with why: already-invoiced, no-payer-account.
    skipped: list[tuple[uuid.UUID, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "invoiced": len(self.gift_ids),
            "gift_ids": [str(g) for g in self.gift_ids],
            "document_ids": [str(d) for d in self.document_ids],
            "skipped": [{"gift_id": str(g), "reason": r} for g, r in self.skipped],
        }


async def _first_result(
    session: AsyncSession, scope: Scope, key: str, request: InvoiceRequest
) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(recruitment_gift_invoicings).where(
                    recruitment_gift_invoicings.c.tenant == scope.tenant,
                    recruitment_gift_invoicings.c.idempotency_key == key,
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    if row["request"] != request.as_json():
        raise Problem(
            422,
            "idempotency-key-reused",
            "Invalid request",
            f"Idempotency-Key {key!r} was used for another zero-invoice request.",
        )
    first: dict[str, Any] = row["result"]
    return first


async def _check_listed(
    session: AsyncSession, scope: Scope, request: InvoiceRequest, outcome: InvoiceOutcome
) -> None:
    """Every listed gift must be one the caller sees (else 404, nothing issued); those
    invoiced before are reported, not invoiced again."""
    rows = (
        await session.execute(
            select(recruitment_gifts.c.id, recruitment_gifts.c.invoice_document_id).where(
                visible_gifts(scope), recruitment_gifts.c.id.in_(request.gift_ids)
            )
        )
    ).all()
    missing = set(request.gift_ids) - {r.id for r in rows}
    if missing:
        raise Problem(
            404,
            "recruitment-gift-not-found",
            "Not found",
            f"No recruitment gift {sorted(str(m) for m in missing)[0]}.",
        )
    outcome.skipped.extend(
        (r.id, "already-invoiced")
        for r in sorted(rows, key=lambda r: r.id)
        if r.invoice_document_id is not None
    )


async def _batch_in_tx(
    session: AsyncSession,
    scope: Scope,
    request: InvoiceRequest,
    outcome: InvoiceOutcome,
    *,
    posting_date: date,
    after: uuid.UUID | None,
    size: int,
    actor: str,
) -> uuid.UUID | None:
    """One batch in id order after `after`; returns the last id seen, None when done."""
    wanted = GiftFilter(
        paid_from=request.paid_from,
        paid_to=request.paid_to,
        gift_ids=request.gift_ids,
        fulfilled=False,
    )
    query = select(recruitment_gifts).where(*matching(scope, wanted))
    if after is not None:
        query = query.where(recruitment_gifts.c.id > after)
    # FOR UPDATE re-checks `invoice_document_id IS NULL` once a concurrent request that held
    # the row commits, so a gift it invoiced drops out here.
    gifts = [
        dict(r)
        for r in (
            await session.execute(
                query.order_by(recruitment_gifts.c.id)
                .limit(size)
                .with_for_update(of=recruitment_gifts)
            )
        ).mappings()
    ]
    if not gifts:
        return None
    recipients = {
        r.member_id: r
        for r in await session.execute(
            select(
                members.c.member_id, members.c.default_payer_account_id, members.c.organisation_id
            ).where(members.c.member_id.in_({g["recipient_member_id"] for g in gifts}))
        )
    }
    drafts: list[tuple[Row, DocumentDraft]] = []
    for gift in gifts:
        recipient = recipients.get(gift["recipient_member_id"])
        if recipient is None or recipient.default_payer_account_id is None:
            outcome.skipped.append((gift["id"], "no-payer-account"))
            continue
        drafts.append(
            (
                gift,
                gift_invoice(
                    gift_item_no=gift["gift_item_no"],
                    subscription_no=gift["subscription_no"],
                    recipient=MemberId(gift["recipient_member_id"]),
                    payer=PayerId(recipient.default_payer_account_id),
                    organisation=(
                        None
                        if recipient.organisation_id is None
                        else OrganisationId(recipient.organisation_id)
                    ),
                    posting_date=posting_date,
                ),
            )
        )
    if drafts:
        await _issue_in_tx(session, scope, drafts, outcome, posting_date=posting_date, actor=actor)
    last: uuid.UUID = gifts[-1]["id"]
    return last


async def _issue_in_tx(
    session: AsyncSession,
    scope: Scope,
    drafts: list[tuple[Row, DocumentDraft]],
    outcome: InvoiceOutcome,
    *,
    posting_date: date,
    actor: str,
) -> None:
    # The existing numbering and document code, late in the transaction: from here to the
    # commit the invoice sequence row is locked.
    issued = await number_documents_in_tx(
        session,
        scope.tenant,
        [draft for _, draft in drafts],
        currency=(await settings_of(session, scope.tenant)).currency,
        billing_run_id=None,
        created_by=actor,
    )
    await insert_documents_in_tx(session, issued)
    numbers = {doc.draft.id: doc.document_no for doc in issued}
    for gift, draft in drafts:
        version = gift["version"] + 1
        await session.execute(
            update(recruitment_gifts)
            .where(
                recruitment_gifts.c.id == gift["id"],
                recruitment_gifts.c.invoice_document_id.is_(None),
            )
            .values(
                invoice_document_id=draft.id,
                invoice_no=numbers[draft.id],
                fulfilled_at=func.now(),
                fulfilled_by=actor,
                version=version,
            )
        )
        await record_fulfilled_in_tx(
            session,
            {**gift, "invoice_document_id": draft.id},
            version=version,
            invoice_no=numbers[draft.id],
            posting_date=posting_date,
        )
        outcome.gift_ids.append(gift["id"])
        outcome.document_ids.append(draft.id)
    await record_issued_in_tx(session, issued)


async def invoice_gifts(
    db: Database,
    scope: Scope,
    request: InvoiceRequest,
    *,
    actor: str,
    idempotency_key: str | None = None,
    batch_size: int = 100,
) -> dict[str, Any]:
    posting_date = request.posting_date or date.today()
    outcome = InvoiceOutcome()
    async with db.transaction() as session:
        if idempotency_key is not None:
            first = await _first_result(session, scope, idempotency_key, request)
            if first is not None:
                return first
        if request.gift_ids:
            await _check_listed(session, scope, request, outcome)
    after: uuid.UUID | None = None
    while True:
        async with db.transaction() as session:
            after = await _batch_in_tx(
                session,
                scope,
                request,
                outcome,
                posting_date=posting_date,
                after=after,
                size=batch_size,
                actor=actor,
            )
        if after is None:
            break
    result = outcome.as_json()
    if idempotency_key is not None:
        async with db.transaction() as session:
            await session.execute(
                insert(recruitment_gift_invoicings)
                .values(
                    tenant=scope.tenant,
                    idempotency_key=idempotency_key,
                    request=request.as_json(),
                    result=result,
                    created_by=actor,
                )
                .on_conflict_do_nothing()
            )
    return result
