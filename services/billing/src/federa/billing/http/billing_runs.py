"""/v1/billing-runs: start a run (planned and queued at once; workers do the rest), follow it,
cancel it, read its errors and report, re-run its failures."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.exc import IntegrityError

from federa.billing.http.dependencies import Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.run_schemas import (
    ChunkRead,
    ReportRow,
    RunCreate,
    RunErrorPage,
    RunErrorRead,
    RunPage,
    RunRead,
    RunReport,
    Totals,
)
from federa.billing.runs.commands import cancel_in_tx, retry_failed_in_tx
from federa.billing.runs.planning import (
    RunFilters,
    RunRequest,
    ToDateFilter,
    existing_run,
    plan_run_in_tx,
)
from federa.billing.runs.queries import (
    REPORT_FIELDS,
    list_runs,
    run_errors,
    run_report,
    run_with_totals,
)
from federa.billing.runs.state import RunTotals
from federa.billing.runs.work import declare_work_queue
from federa.billing.scope import scope_of
from federa.shared.auth import Principal, requires
from federa.shared.service import Runtime, RuntimeDep

# Billing runs charge the whole federation: the operator's permission, which only the
# superuser's `*` grants among the standard roles (SPEC §2.6 MEMBER SUPER).
RunOperator = Annotated[Principal, Depends(requires("billing:runs:write"))]

router = APIRouter(
    prefix="/v1/billing-runs", tags=["billing runs"], route_class=BillingRoute, responses=PROBLEMS
)


def totals_read(totals: RunTotals) -> Totals:
    return Totals.model_validate(totals, from_attributes=True)


def run_read(
    run: dict[str, Any], totals: RunTotals, chunks: list[dict[str, Any]] | None
) -> RunRead:
    return RunRead.model_validate(
        {
            **run,
            "chunks_done": totals.chunks_done,
            "chunks_skipped": totals.chunks_skipped,
            "chunks_queued": totals.chunks_queued,
            "totals": totals_read(totals),
            "chunks": None if chunks is None else [ChunkRead.model_validate(c) for c in chunks],
        }
    )


async def _work_queue_ready(request: Request, runtime: Runtime) -> None:
    """The chunks' queue must be bound before the outbox relays them (an unroutable chunk
    would come back to the relay and wait for its next pass)."""
    if getattr(request.app.state, "billing_work_queue", False):
        return
    await declare_work_queue(
        runtime.broker, runtime.names, delivery_limit=runtime.settings.delivery_limit
    )
    request.app.state.billing_work_queue = True


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunRead,
    responses={200: {"description": "The run an earlier request with this Idempotency-Key made"}},
)
async def start(
    body: RunCreate,
    principal: RunOperator,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> RunRead:
    """`RunBilling`: selects the subscriptions due by the bill-through date (and, without a
    to-date filter, those to credit by rule 29), plans them into chunks and queues them for
    the billing workers. 202 with `Location`; follow it at `GET /v1/billing-runs/{id}`. A
    dry run computes the same and stores only its report."""
    await _work_queue_ready(request, runtime)
    plan = RunRequest(
        posting_date=body.posting_date,
        bill_through=body.bill_through_date,
        filters=RunFilters(
            products=tuple(body.filters.products),
            price_codes=tuple(body.filters.price_codes),
            organisations=tuple(body.filters.organisations),
            members=tuple(body.filters.members),
            to_date=None if body.filters.to_date is None else ToDateFilter(body.filters.to_date),
        ),
        stop_on_error=body.stop_on_error,
        dry_run=body.dry_run,
        use_value_bands=body.use_value_bands,
        chunk_size=body.chunk_size,
    )
    try:
        async with runtime.db.transaction() as session:
            scope = await scope_of(session, principal)
            planned = await plan_run_in_tx(
                session, scope, plan, actor=principal.subject, idempotency_key=idempotency_key
            )
            run_id, created = planned.id, planned.created
    except IntegrityError:
        # The same key at the same moment: the other request made the run.
        async with runtime.db.sessions() as session:
            earlier = await existing_run(session, principal.tenant, idempotency_key)
        if earlier is None:
            raise
        run_id, created = earlier, False
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        run, totals, _ = await run_with_totals(session, scope, run_id, with_chunks=False)
    response.headers["Location"] = f"/v1/billing-runs/{run_id}"
    if not created:
        response.status_code = status.HTTP_200_OK
    return run_read(run, totals, None)


@router.get("", response_model=RunPage)
async def list_all(
    principal: Reader,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunPage:
    """The tenant's runs, newest first (rule 32: run history with filters and totals)."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        page, total = await list_runs(session, scope, limit=limit, offset=offset)
    return RunPage(
        items=[run_read(run, totals, None) for run, totals in page],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{run_id}", response_model=RunRead)
async def read(run_id: UUID, principal: Reader, runtime: RuntimeDep) -> RunRead:
    """The run's state, totals so far, and each chunk's progress."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        run, totals, chunks = await run_with_totals(session, scope, run_id, with_chunks=True)
    return run_read(run, totals, chunks)


@router.post("/{run_id}/cancel", response_model=RunRead)
async def cancel(run_id: UUID, principal: RunOperator, runtime: RuntimeDep) -> RunRead:
    """Stop a planned or running run: chunks not started are skipped (a chunk being processed
    finishes). A run that already ended: 409."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await cancel_in_tx(session, scope, run_id)
    return await read(run_id, principal, runtime)


@router.post("/{run_id}/retry-failed", status_code=status.HTTP_202_ACCEPTED, response_model=RunRead)
async def retry_failed(
    run_id: UUID, principal: RunOperator, runtime: RuntimeDep, request: Request
) -> RunRead:
    """Re-run the subscriptions in the run's error log as new chunks of the same run."""
    await _work_queue_ready(request, runtime)
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await retry_failed_in_tx(session, scope, run_id)
    return await read(run_id, principal, runtime)


@router.get("/{run_id}/errors", response_model=RunErrorPage)
async def errors(
    run_id: UUID,
    principal: Reader,
    runtime: RuntimeDep,
    include_retried: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunErrorPage:
    """The error log (rule 30): each subscription not charged, with the rule's code and why.
    Errors already re-run are left out unless `include_retried`."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        rows, total = await run_errors(
            session,
            scope,
            run_id,
            include_retried=include_retried,
            limit=limit,
            offset=offset,
        )
    return RunErrorPage(
        items=[RunErrorRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{run_id}/report", response_model=RunReport)
async def report(run_id: UUID, principal: Reader, runtime: RuntimeDep) -> RunReport:
    """The billing test report (SPEC §2.5 item 6): per organisation the subscriptions
    charged, failed and credited, lines, amounts and branch shares."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        run, rows = await run_report(session, scope, run_id)
    total: dict[str, Any] = {
        "organisation_id": None,
        "organisation_name": None,
        **{name: sum(r[name] for r in rows) for name in REPORT_FIELDS},
    }
    return RunReport(
        billing_run_id=run_id,
        dry_run=run["dry_run"],
        status=run["status"],
        currency=run["currency"],
        organisations=[ReportRow.model_validate(r) for r in rows],
        totals=ReportRow.model_validate(total),
    )
