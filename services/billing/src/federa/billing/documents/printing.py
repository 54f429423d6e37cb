"""Reading what a document's PDF shows: the document and lines as stored, its payer's account,
the invoice a memo credits, and the federation's name (the tenant's root organisation)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.pdf import Issuer, render_document
from federa.billing.documents.queries import document_lines_of, load_document
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import documents
from federa.billing.storage.tables import organisations, payer_accounts


async def issuer_of(session: AsyncSession, tenant: str) -> Issuer:
    name = (
        await session.execute(
            select(organisations.c.name)
            .where(organisations.c.tenant == tenant, organisations.c.parent_id.is_(None))
            .order_by(organisations.c.updated_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    return Issuer(name or tenant)


async def document_pdf(session: AsyncSession, scope: Scope, document_id: uuid.UUID) -> bytes:
    head = await load_document(session, scope, document_id)
    lines = await document_lines_of(session, document_id)
    payer = (
        (
            await session.execute(
                select(payer_accounts).where(payer_accounts.c.id == head["payer_account_id"])
            )
        )
        .mappings()
        .one()
    )
    if head["credits_document_id"] is not None:
        head["credited_document_no"] = (
            await session.execute(
                select(documents.c.document_no).where(documents.c.id == head["credits_document_id"])
            )
        ).scalar_one()
    return render_document(head, lines, dict(payer), await issuer_of(session, scope.tenant))
