"""/v1/finance, /v1/daily-overview and /v1/todo: the office's dashboard figures (SPEC §4.1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from federa.shared.service import RuntimeDep
from federa.statistics.domain.periods import Grain, Period, add_months
from federa.statistics.http.common import (
    Limit,
    Offset,
    OrganisationQuery,
    Reader,
    link,
    page,
    period_of,
    reading,
)
from federa.statistics.queries import daily, finance, todo

router = APIRouter(prefix="/v1", tags=["dashboard"])
Day = Annotated[date | None, Query(description="The day that counts as today.")]


def default_finance_period(today: date) -> Period:
    """The last twelve months, whole months."""
    return Period(add_months(today.replace(day=1), -11), today)


def _figure(f: finance.Figure, drill: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"count": f.count, "amount": f.amount}
    if drill:
        out["drill_down"] = drill
    return out


@router.get("/finance")
async def get_finance(
    principal: Reader,
    runtime: RuntimeDep,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    grain: Annotated[Grain, Query(description="Series per month, week or day.")] = Grain.MONTH,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Invoiced, paid, credited in the period; outstanding invoices and notices and drafts not
    yet sent now (counts and amounts in minor units, VAT included); series per grain."""
    period = period_of(first, last, default_finance_period(date.today()))
    async with reading(runtime, principal, organisation_id) as ctx:
        result = await finance.finance(ctx.session, ctx.scope, period, grain)
    log = "/v1/events"
    base = {"from": period.first, "to": period.last, "organisation_id": organisation_id}

    def docs(figure: str) -> str:
        return link(DOCUMENTS, figure=figure, **base)

    return {
        "from": period.first,
        "to": period.last,
        "grain": grain.value,
        "currency": result.currency,
        "invoiced": _figure(result.invoiced, docs("invoiced")),
        # Payments and credit memos are events, not documents: their drill-down is the log.
        "paid": _figure(result.paid, link(log, type="payments.payment.applied", **base)),
        "credited": _figure(result.credited, link(log, type="billing.credit_memo", **base)),
        "outstanding_invoices": _figure(result.outstanding_invoices, docs("outstanding_invoices")),
        "outstanding_notices": _figure(result.outstanding_notices, docs("outstanding_notices")),
        "not_yet_sent": _figure(result.not_yet_sent, docs("not_yet_sent")),
        "series": result.series,
    }


DOCUMENTS = "/v1/finance/documents"


@router.get("/finance/documents")
async def get_finance_documents(
    principal: Reader,
    runtime: RuntimeDep,
    figure: Annotated[
        Literal[
            "invoiced",
            "outstanding_invoices",
            "outstanding_notices",
            "not_yet_sent",
            "overdue_invoices",
            "overdue_notices",
        ],
        Query(description="The figure whose documents to list."),
    ],
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    on: Day = None,
    organisation_id: OrganisationQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The documents behind a finance or to-do figure, with what is open on each."""
    period = period_of(first, last, default_finance_period(date.today()))
    day = on or date.today()
    async with reading(runtime, principal, organisation_id) as ctx:
        total, items = await finance.documents_behind(
            ctx.session, ctx.scope, figure, period, day, limit=limit, offset=offset
        )
    params = {
        "figure": figure,
        "from": period.first,
        "to": period.last,
        "on": day,
        "organisation_id": organisation_id,
    }
    return {"items": items, **page(total, limit, offset, DOCUMENTS, **params)}


@router.get("/daily-overview")
async def get_daily_overview(
    principal: Reader,
    runtime: RuntimeDep,
    on: Day = None,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Yesterday, today and tomorrow: documents issued and due, payments received,
    subscriptions starting and ending, members joining and leaving."""
    day = on or date.today()
    async with reading(runtime, principal, organisation_id) as ctx:
        days = await daily.daily_overview(ctx.session, ctx.scope, day)
    for entry in days:
        d = entry["day"]
        entry["drill_down"] = link(
            "/v1/events", **{"from": d, "to": d}, organisation_id=organisation_id
        )
    return {"on": day, "days": days, "not_fed": daily.NOT_FED}


@router.get("/todo")
async def get_todo(
    principal: Reader,
    runtime: RuntimeDep,
    on: Day = None,
    organisation_id: OrganisationQuery = None,
) -> dict[str, Any]:
    """Overdue invoices and notices (count and value), drafts not sent, unidentified payments
    and payment exceptions waiting (for callers who see every organisation)."""
    day = on or date.today()
    async with reading(runtime, principal, organisation_id) as ctx:
        result = await todo.todo(ctx.session, ctx.scope, day)
    result["on"] = day
    for figure in ("overdue_invoices", "overdue_notices"):
        result[figure]["drill_down"] = link(
            DOCUMENTS, figure=figure, on=day, organisation_id=organisation_id
        )
    result["drafts_not_sent"]["drill_down"] = link(
        DOCUMENTS, figure="not_yet_sent", organisation_id=organisation_id
    )
    return result
