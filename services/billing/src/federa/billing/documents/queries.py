"""Reading documents: a filtered page and one with its lines, within the caller's scope."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.scope import Scope, visible_members, visible_payer_accounts
from federa.billing.storage.documents_tables import document_lines, documents
from federa.billing.storage.tables import members, payer_accounts
from federa.shared.http.problems import Problem

Row = dict[str, Any]


def visible_documents(scope: Scope) -> ColumnElement[bool]:
    """A document is visible with its member, or (a per-payer document naming no member)
    with its payer account."""
    in_tenant = documents.c.tenant == scope.tenant
    if scope.everything:
        return in_tenant
    return and_(
        in_tenant,
        or_(
            documents.c.member_id.in_(select(members.c.member_id).where(visible_members(scope))),
            documents.c.payer_account_id.in_(
                select(payer_accounts.c.id).where(visible_payer_accounts(scope))
            ),
        ),
    )


def document_not_found(document_id: uuid.UUID) -> Problem:
    return Problem(404, "document-not-found", "Document not found", f"No document {document_id}.")


async def list_documents(
    session: AsyncSession,
    scope: Scope,
    *,
    payer_account_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    billing_run_id: uuid.UUID | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = [visible_documents(scope)]
    if payer_account_id is not None:
        where.append(documents.c.payer_account_id == payer_account_id)
    if member_id is not None:
        # Per-payer documents name no member; their lines do.
        where.append(
            or_(
                documents.c.member_id == member_id,
                documents.c.id.in_(
                    select(document_lines.c.document_id).where(
                        document_lines.c.member_id == member_id
                    )
                ),
            )
        )
    if billing_run_id is not None:
        where.append(documents.c.billing_run_id == billing_run_id)
    if kind is not None:
        where.append(documents.c.kind == kind)
    total = (
        await session.execute(select(func.count()).select_from(documents).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(documents)
        .where(*where)
        .order_by(documents.c.created_at, documents.c.number_series, documents.c.number)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


async def load_document(
    session: AsyncSession, scope: Scope, document_id: uuid.UUID, *, for_update: bool = False
) -> Row:
    query = select(documents).where(documents.c.id == document_id, visible_documents(scope))
    if for_update:
        query = query.with_for_update(of=documents)
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise document_not_found(document_id)
    return dict(row)


async def document_lines_of(session: AsyncSession, document_id: uuid.UUID) -> list[Row]:
    rows = await session.execute(
        select(document_lines)
        .where(document_lines.c.document_id == document_id)
        .order_by(document_lines.c.line_no)
    )
    return [dict(r) for r in rows.mappings()]
