"""Dues classes and dues invoicing inside the caller's transaction (SPEC §2.2 rule 38; the
rules are `domain/dues.py`). Each member gets one invoice (or credit memo) per kind and
posting date: `dues_charges` remembers it, so running the same dues again issues nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import cast, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from federa.billing.documents.credits import charged_document, credited_before
from federa.billing.documents.events import record_issued_in_tx
from federa.billing.documents.settings import invoicing_settings_of
from federa.billing.documents.store import insert_documents_in_tx, lines_of, number_documents_in_tx
from federa.billing.domain.credits import DUES, credit_memo
from federa.billing.domain.documents import DocumentDraft, DocumentKind
from federa.billing.domain.dues import DuesClass, DuesMember, class_for, dues_document
from federa.billing.domain.ids import MemberId, OrganisationId, PayerId
from federa.billing.scope import Scope, visible_members
from federa.billing.storage.documents_tables import documents
from federa.billing.storage.settlement_tables import dues_charges, dues_classes
from federa.billing.storage.tables import members
from federa.billing.tenancy import settings_of

Row = dict[str, Any]


async def dues_classes_of(session: AsyncSession, tenant: str) -> dict[str, DuesClass]:
    rows = await session.execute(
        select(dues_classes).where(dues_classes.c.tenant == tenant).order_by(dues_classes.c.code)
    )
    return {r.code: DuesClass(r.code, r.description, r.amount, r.account) for r in rows}


async def save_dues_class_in_tx(session: AsyncSession, tenant: str, dues: DuesClass) -> None:
    values = {"description": dues.description, "amount": dues.amount, "account": dues.account}
    statement = upsert(dues_classes).values(tenant=tenant, code=dues.code, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[dues_classes.c.tenant, dues_classes.c.code], set_=values
        )
    )


@dataclass(frozen=True)
class DuesRequest:
    kind: str  # invoice | credit
    posting_date: date
    member_ids: tuple[uuid.UUID, ...] = ()
    organisation_ids: tuple[uuid.UUID, ...] = ()
    dues_class: str | None = None


@dataclass
class DuesOutcome:
    document_ids: list[uuid.UUID] = field(default_factory=list)
    amount: int = 0
    # Members not invoiced, with why: no-dues-class, unknown-dues-class, no-payer-account,
    # already (this kind and posting date were done before).
    skipped: list[tuple[uuid.UUID, str]] = field(default_factory=list)


async def _members(session: AsyncSession, scope: Scope, request: DuesRequest) -> list[DuesMember]:
    query = select(
        members.c.member_id,
        members.c.default_payer_account_id,
        members.c.organisation_id,
        members.c.category,
    ).where(visible_members(scope))
    if request.member_ids:
        query = query.where(members.c.member_id.in_(request.member_ids))
    if request.organisation_ids:
        wanted = cast(literal(list(request.organisation_ids), ARRAY(Uuid)), ARRAY(Uuid))
        query = query.where(members.c.organisation_ids.overlap(wanted))
    rows = await session.execute(query.order_by(members.c.member_number, members.c.member_id))
    return [
        DuesMember(
            MemberId(r.member_id),
            None if r.default_payer_account_id is None else PayerId(r.default_payer_account_id),
            None if r.organisation_id is None else OrganisationId(r.organisation_id),
            r.category,
        )
        for r in rows
    ]


async def _done_before(
    session: AsyncSession, tenant: str, kind: str, posting_date: date
) -> set[uuid.UUID]:
    rows = await session.execute(
        select(dues_charges.c.member_id).where(
            dues_charges.c.tenant == tenant,
            dues_charges.c.kind == kind,
            dues_charges.c.posting_date == posting_date,
        )
    )
    return set(rows.scalars())


async def _latest_dues_invoice(
    session: AsyncSession, tenant: str, member_id: uuid.UUID
) -> Row | None:
    rows = await session.execute(
        select(documents)
        .where(
            documents.c.id.in_(
                select(dues_charges.c.document_id).where(
                    dues_charges.c.tenant == tenant,
                    dues_charges.c.member_id == member_id,
                    dues_charges.c.kind == "invoice",
                )
            ),
            documents.c.status == "posted",
        )
        .order_by(documents.c.posting_date.desc(), documents.c.number.desc())
    )
    for row in rows.mappings():
        if not await credited_before(session, row["id"]):
            return dict(row)
    return None


async def _credit(
    session: AsyncSession,
    tenant: str,
    member: DuesMember,
    dues: DuesClass,
    posting_date: date,
    terms: int,
    credited: dict[uuid.UUID, str],
) -> DocumentDraft:
    head = await _latest_dues_invoice(session, tenant, member.member_id)
    if head is not None:
        lines = (await lines_of(session, [head["id"]]))[head["id"]]
        memo = credit_memo(
            charged_document(head, lines),
            lines,
            document_no=head["document_no"],
            reason=DUES,
            posting_date=posting_date,
            payment_terms_days=terms,
        )
        if memo is not None:
            credited[head["id"]] = head["document_no"]
            return memo
    return dues_document(
        member,
        dues,
        kind=DocumentKind.CREDIT_MEMO,
        posting_date=posting_date,
        payment_terms_days=terms,
    )


async def run_dues_in_tx(
    session: AsyncSession, scope: Scope, request: DuesRequest, *, actor: str
) -> DuesOutcome:
    """`RunDuesInvoicing(member filter, invoice|credit, posting date)`: publishes
    `billing.document.issued` per invoice, `billing.credit_memo.issued` per credit."""
    outcome = DuesOutcome()
    classes = await dues_classes_of(session, scope.tenant)
    terms = (await invoicing_settings_of(session, scope.tenant)).payment_terms_days
    done = await _done_before(session, scope.tenant, request.kind, request.posting_date)
    drafts: list[tuple[DuesMember, DuesClass, DocumentDraft]] = []
    credited: dict[uuid.UUID, str] = {}
    for member in await _members(session, scope, request):
        dues = class_for(member, classes, request.dues_class)
        if isinstance(dues, str):
            outcome.skipped.append((member.member_id, dues))
            continue
        if member.member_id in done:
            outcome.skipped.append((member.member_id, "already"))
            continue
        if request.kind == "invoice":
            draft = dues_document(
                member,
                dues,
                kind=DocumentKind.INVOICE,
                posting_date=request.posting_date,
                payment_terms_days=terms,
            )
        else:
            draft = await _credit(
                session, scope.tenant, member, dues, request.posting_date, terms, credited
            )
        drafts.append((member, dues, draft))
    if not drafts:
        return outcome
    issued = await number_documents_in_tx(
        session,
        scope.tenant,
        [draft for _, _, draft in drafts],
        currency=(await settings_of(session, scope.tenant)).currency,
        billing_run_id=None,
        created_by=actor,
        credited_numbers=credited,
    )
    await insert_documents_in_tx(session, issued)
    await session.execute(
        insert(dues_charges),
        [
            {
                "tenant": scope.tenant,
                "member_id": member.member_id,
                "kind": request.kind,
                "posting_date": request.posting_date,
                "dues_class": dues.code,
                "document_id": draft.id,
            }
            for member, dues, draft in drafts
        ],
    )
    await record_issued_in_tx(session, issued)
    outcome.document_ids = [draft.id for _, _, draft in drafts]
    outcome.amount = sum(draft.total_amount for _, _, draft in drafts)
    return outcome
