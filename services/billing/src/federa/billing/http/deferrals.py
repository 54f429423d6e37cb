"""/v1/deferrals: revenue deferral, *Periodisering* (rule 33): the fiscal-year setup,
recognitions and the balance on the deferral accounts.

Decision: the deferral journal is the federation's ledger, not a branch's: reading it needs a
caller acting for every organisation (403 otherwise), like running the recognition."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from federa.billing.deferrals.queries import balances_on, list_recognitions, load_recognition
from federa.billing.deferrals.recognition import recognise_in_tx, recognition_by_key
from federa.billing.deferrals.setup import DeferralSetup, save_setup_in_tx, setup_of
from federa.billing.domain.deferral import FiscalPeriod, FiscalYear
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.shared.auth import Principal
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/deferrals", tags=["deferrals"], route_class=BillingRoute, responses=PROBLEMS
)

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class DeferralSetupBody(Body):
    # The fiscal year starts on the first of this month; fiscal periods are its months.
    fiscal_year_first_month: int = Field(default=1, ge=1, le=12)
    journal_type: str | None = None
    journal_name: str | None = None


class RecognitionCreate(Body):
    through_period: str = Field(pattern=PERIOD_PATTERN, examples=["2026-03"])


class JournalRowRead(BaseModel):
    fiscal_period: str
    deferral_account: str
    revenue_account: str | None
    dimension_1: str | None
    dimension_2: str | None
    amount: int
    lines: int


class RecognitionRead(BaseModel):
    id: UUID
    through_period: str
    # None for the tenant's first recognition (it took every period up to `through_period`).
    first_period: str | None
    currency: str
    amount: int
    lines: int
    shares: int
    created_at: datetime
    created_by: str
    journal: list[JournalRowRead]


class RecognitionPage(BaseModel):
    items: list[RecognitionRead]
    total: int
    limit: int
    offset: int


class AccountBalanceRead(BaseModel):
    deferral_account: str
    deferred: int
    recognised: int
    balance: int


class BalanceRead(BaseModel):
    on: date
    items: list[AccountBalanceRead]


def _month(day: date | None) -> str | None:
    return None if day is None else str(FiscalPeriod.of(day))


def _read(row: dict[str, Any], journal: list[dict[str, Any]]) -> RecognitionRead:
    return RecognitionRead.model_validate(
        {
            **row,
            "through_period": _month(row["through_period"]),
            "first_period": _month(row["first_period"]),
            "journal": [
                JournalRowRead.model_validate(
                    {**entry, "fiscal_period": _month(entry["fiscal_period"])}
                )
                for entry in journal
            ],
        }
    )


def _federation_only(principal: Principal) -> None:
    if not principal.sees_all_organisations:
        raise Problem(
            403,
            "federation-scope-required",
            "Forbidden",
            "Deferred revenue is the federation's ledger; act for every organisation to see it.",
        )


def _setup_read(setup: DeferralSetup) -> DeferralSetupBody:
    return DeferralSetupBody(
        fiscal_year_first_month=setup.fiscal_year.first_month,
        journal_type=setup.journal_type,
        journal_name=setup.journal_name,
    )


@router.get("/setup", response_model=DeferralSetupBody)
async def read_setup(principal: Reader, runtime: RuntimeDep) -> DeferralSetupBody:
    async with runtime.db.sessions() as session:
        return _setup_read(await setup_of(session, principal.tenant))


@router.put("/setup", response_model=DeferralSetupBody)
async def save_setup(
    body: DeferralSetupBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> DeferralSetupBody:
    """The fiscal year (first month, default January) and the journal recognitions are
    posted through. The first month cannot change once revenue was recognised: 409."""
    setup = DeferralSetup(
        tenant=principal.tenant,
        fiscal_year=FiscalYear(body.fiscal_year_first_month),
        journal_type=body.journal_type,
        journal_name=body.journal_name,
    )
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await save_setup_in_tx(session, setup, actor=principal.subject)
    return _setup_read(setup)


@router.post(
    "/recognitions",
    status_code=status.HTTP_201_CREATED,
    response_model=RecognitionRead,
    responses={200: {"description": "The recognition an earlier request with this key made"}},
)
async def recognise(
    body: RecognitionCreate,
    principal: RunOperator,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> RecognitionRead:
    """Move deferred revenue of posted invoices (less credit memos) to revenue for every fiscal
    period after the previous recognition up to `through_period`, each line's share of a
    period once; publishes `billing.deferral.recognised` per fiscal period. A period already
    recognised: 409 `fiscal-period-recognised`; the same `Idempotency-Key`: the first result."""
    through = FiscalPeriod.parse(body.through_period)
    try:
        async with runtime.db.transaction() as session:
            done = await recognise_in_tx(
                session,
                principal.tenant,
                through,
                actor=principal.subject,
                idempotency_key=idempotency_key,
            )
            row, created = done.row, done.created
    except IntegrityError:
        # The same key at the same moment: the other request recognised.
        if idempotency_key is None:
            raise
        async with runtime.db.sessions() as session:
            earlier = await recognition_by_key(session, principal.tenant, idempotency_key)
        if earlier is None:
            raise
        row, created = earlier, False
    async with runtime.db.sessions() as session:
        row, journal = await load_recognition(session, principal.tenant, row["id"])
    if not created:
        response.status_code = status.HTTP_200_OK
    return _read(row, journal)


@router.get("", response_model=RecognitionPage)
async def list_all(
    principal: Reader,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RecognitionPage:
    """Recognitions, the latest period first, each with its journal rows."""
    _federation_only(principal)
    async with runtime.db.sessions() as session:
        page, total = await list_recognitions(session, principal.tenant, limit=limit, offset=offset)
    return RecognitionPage(
        items=[_read(row, journal) for row, journal in page],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/balance", response_model=BalanceRead)
async def balance(principal: Reader, runtime: RuntimeDep, on: date | None = None) -> BalanceRead:
    """Per deferral account on `on` (default today): what posted invoices less credit memos
    put on it, what recognitions booked by then (on their period's last day) moved to
    revenue, and the balance still deferred."""
    _federation_only(principal)
    day = on or date.today()
    async with runtime.db.sessions() as session:
        found = await balances_on(session, principal.tenant, day)
    return BalanceRead(
        on=day,
        items=[
            AccountBalanceRead(
                deferral_account=b.deferral_account,
                deferred=b.deferred,
                recognised=b.recognised,
                balance=b.balance,
            )
            for b in found
        ],
    )


@router.get("/{recognition_id}", response_model=RecognitionRead)
async def read(recognition_id: UUID, principal: Reader, runtime: RuntimeDep) -> RecognitionRead:
    _federation_only(principal)
    async with runtime.db.sessions() as session:
        return _read(*await load_recognition(session, principal.tenant, recognition_id))
