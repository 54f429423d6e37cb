"""/v1/open-items, /v1/balances, /v1/reconciliation, /v1/payers/{id}/matching-mode,
/v1/application-setup: the receivable ledger and the rules that apply payments to it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from sqlalchemy.dialects.postgresql import insert

from federa.payments.http.dependencies import Limit, Offset, Reader, Writer
from federa.payments.http.schemas import (
    BalanceRead,
    CloseBody,
    ClosedRead,
    LedgerEntryRead,
    MatchingModeBody,
    OpenItemDetail,
    OpenItemRead,
    Page,
    ReconciliationRead,
)
from federa.payments.ledger import queries
from federa.payments.ledger.closing import Selection, close_without_payment_in_tx
from federa.payments.scope import require_everything, scope_of, visible_payers
from federa.payments.storage.tables import payer_accounts, payer_settings
from federa.payments.tenancy import SetupDocument, save_setup_in_tx, setup_of
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["ledger"])


@router.get("/open-items", response_model=Page[OpenItemRead])
async def list_open_items(
    principal: Reader,
    runtime: RuntimeDep,
    payer_account_id: UUID | None = None,
    member_id: UUID | None = None,
    status: Literal["open", "closed", "all"] = "open",
    overdue_on: date | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OpenItemRead]:
    """Items in due-date order; `overdue_on` keeps those due before that day."""
    async with runtime.db.sessions() as session:
        rows, total = await queries.open_items(
            session,
            await scope_of(session, principal),
            payer_account_id=payer_account_id,
            member_id=member_id,
            status=None if status == "all" else status,
            overdue_on=overdue_on,
            limit=limit,
            offset=offset,
        )
    return Page(
        items=[OpenItemRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/open-items:close-without-payment",
    response_model=ClosedRead,
    responses={422: {"description": "No selection"}},
)
async def close_without_payment(
    body: CloseBody, principal: Writer, runtime: RuntimeDep
) -> ClosedRead:
    """Rule 13: close the selected open items with a balancing write-off, for charges not
    expected to be paid while the member stays."""
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        closed, amount = await close_without_payment_in_tx(
            session,
            principal.tenant,
            Selection(tuple(body.document_ids), body.payer_account_id, body.due_before),
        )
    return ClosedRead(closed=closed, amount=amount)


@router.get("/open-items/{document_id}", response_model=OpenItemDetail)
async def read_open_item(
    document_id: UUID, principal: Reader, runtime: RuntimeDep
) -> OpenItemDetail:
    """One item with its ledger entries: the document and every application, write-off,
    credit or cancellation, in the order written."""
    async with runtime.db.sessions() as session:
        row = await queries.item(session, await scope_of(session, principal), document_id)
        if row is None:
            raise Problem(
                404, "open-item-not-found", "Open item not found", f"No item {document_id}."
            )
        entries = await queries.item_entries(session, principal.tenant, document_id)
    return OpenItemDetail.model_validate(
        {**row, "entries": [LedgerEntryRead.model_validate(e) for e in entries]}
    )


def _today() -> date:
    return datetime.now(UTC).date()


@router.get("/balances/{by}", response_model=Page[BalanceRead])
async def list_balances(
    by: Literal["payers", "members"],
    principal: Reader,
    runtime: RuntimeDep,
    on: date | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[BalanceRead]:
    """Open and overdue amounts with ageing on `on` (default today), per payer or member."""
    async with runtime.db.sessions() as session:
        rows, total = await queries.balances(
            session,
            await scope_of(session, principal),
            by="payer" if by == "payers" else "member",
            on=on or _today(),
            limit=limit,
            offset=offset,
        )
    return Page(
        items=[BalanceRead.model_validate(r.__dict__) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/balances/{by}/{key}", response_model=BalanceRead)
async def read_balance(
    by: Literal["payers", "members"],
    key: UUID,
    principal: Reader,
    runtime: RuntimeDep,
    on: date | None = None,
) -> BalanceRead:
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        rows, _ = await queries.balances(
            session,
            scope,
            by="payer" if by == "payers" else "member",
            on=on or _today(),
            key=key,
            limit=10,
            offset=0,
        )
        if not rows:
            # Nothing open: the balance is zero in the ledger's currency, and a payer may
            # still have money waiting.
            setup = await setup_of(session, principal.tenant)
            visible = (
                scope.everything
                or (
                    await session.execute(
                        visible_payers(scope).where(payer_accounts.c.payer_account_id == key)
                    )
                ).first()
                is not None
            )
            waiting = (
                await queries.unapplied_of(session, principal.tenant, [key])
                if by == "payers" and visible
                else {}
            )
            return BalanceRead(
                key=key,
                currency=setup.currency,
                open_amount=0,
                overdue_amount=0,
                open_items=0,
                ageing=dict.fromkeys((name for name, _, _ in queries.BUCKETS), 0),
                unapplied=waiting.get(key, 0),
            )
    return BalanceRead.model_validate(rows[0].__dict__)


@router.get("/reconciliation", response_model=ReconciliationRead)
async def reconciliation(principal: Reader, runtime: RuntimeDep) -> ReconciliationRead:
    """The ledger's proof: per payer, documents - applications - write-offs - credits =
    open amount of its items; per payment, amount = applied + gifts + refunds + waiting."""
    async with runtime.db.sessions() as session:
        require_everything(await scope_of(session, principal))
        result = await queries.reconcile(session, principal.tenant)
    return ReconciliationRead.model_validate(result.__dict__)


@router.put("/payers/{payer_account_id}/matching-mode", response_model=MatchingModeBody)
async def set_matching_mode(
    payer_account_id: UUID, body: MatchingModeBody, principal: Writer, runtime: RuntimeDep
) -> MatchingModeBody:
    """Rule 2: `open_item` (only a named document) or `balance` (oldest first)."""
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        statement = insert(payer_settings).values(
            payer_account_id=payer_account_id,
            tenant=principal.tenant,
            matching_mode=body.matching_mode.value,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["payer_account_id"],
                set_={"matching_mode": body.matching_mode.value},
            )
        )
    return body


@router.get("/application-setup", response_model=SetupDocument)
async def read_setup(principal: Reader, runtime: RuntimeDep) -> SetupDocument:
    async with runtime.db.sessions() as session:
        return await setup_of(session, principal.tenant)


@router.put("/application-setup", response_model=SetupDocument)
async def replace_setup(
    body: SetupDocument, principal: Writer, runtime: RuntimeDep
) -> SetupDocument:
    """The tenant's strategies per source, overpayment and underpayment rules, write-off
    limit, tolerance, default matching mode, priority by posting type and ledger currency."""
    async with runtime.db.transaction() as session:
        require_everything(await scope_of(session, principal))
        await save_setup_in_tx(session, principal.tenant, body)
    return body
