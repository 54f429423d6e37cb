"""/dashboard: what an office worker opens in a browser. The same queries as the API, so the
page shows the API's numbers; every number links to what is behind it.

Sign-in: a bearer token in the Authorization header, or in the `federa_token` cookie that
`/dashboard?token=...` sets (development: `federa token --role read`). The cookie is
HttpOnly and SameSite=Strict; the page's own script only fetches chart fragments.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from federa.shared.auth import Principal, TokenVerifier
from federa.shared.http.problems import Problem
from federa.shared.service import Runtime, RuntimeDep
from federa.statistics.domain.money import format_count, format_money
from federa.statistics.domain.movement import Column
from federa.statistics.domain.periods import Grain, Period, add_months
from federa.statistics.http.common import Context, link, reading
from federa.statistics.http.subscription_stats import organisation_filter
from federa.statistics.queries import daily, finance, todo
from federa.statistics.queries.events import LogFilter, event_log
from federa.statistics.queries.scope import Organisation
from federa.statistics.queries.subscription_stats import drill_down, subscription_statistics
from federa.statistics.web.charts import COLOURS, LABELS, bar_chart

router = APIRouter(include_in_schema=False)
COOKIE = "federa_token"
PAGE_SIZE = 25
SERIES = ("invoiced", "notified", "paid")
GROUPINGS = {
    "": "Product",
    "branch": "Product and branch",
    "region": "Product and region",
    "price_code": "Product and price code",
    "gender": "Product and payer's gender",
}

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["money"] = format_money
templates.filters["count"] = format_count


def chart_window(on: date, grain: Grain) -> Period:
    """What a chart of each grain shows: twelve months, twenty-six weeks or a month of days."""
    if grain is Grain.MONTH:
        return Period(add_months(on.replace(day=1), -11), on)
    if grain is Grain.WEEK:
        return Period(on - timedelta(days=on.weekday()) - timedelta(weeks=25), on)
    return Period(on - timedelta(days=30), on)


def _principal(request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    raw = token.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    if not raw:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = verifier.verify(raw)
    except jwt.PyJWTError:
        return None
    return principal if principal.can("members:read") else None


def _sign_in(message: str) -> HTMLResponse:
    html = templates.get_template("sign_in.html").render(message=message)
    return HTMLResponse(html, status_code=401)


def _from_token(request: Request, token: str) -> Response:
    """Take a token from the address, keep it in a cookie, and drop it from the address."""
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        verifier.verify(token)
    except jwt.PyJWTError:
        return _sign_in("That token is not valid (expired, or signed with another key).")
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = request.url.path + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600)
    return response


async def _chart(ctx: Context, on: date, grain: Grain) -> tuple[str, Period, list[dict[str, Any]]]:
    window = chart_window(on, grain)
    result = await finance.finance(ctx.session, ctx.scope, window, grain)
    svg = bar_chart(result.series, grain, SERIES, result.currency or "")
    return svg, window, result.series


def _org_options(ctx: Context) -> list[dict[str, Any]]:
    visible: list[Organisation] = list(ctx.tree.by_id.values())
    if not ctx.scope.everything:
        visible = [o for o in visible if o.organisation_id in ctx.scope.organisation_ids]
    ordered = sorted(visible, key=lambda o: (len(o.ancestor_ids), o.name))
    return [
        {
            "id": str(o.organisation_id),
            "name": o.name,
            "type": o.organisation_type,
            "depth": len(o.ancestor_ids),
        }
        for o in ordered
    ]


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    runtime: RuntimeDep,
    token: str | None = None,
    on: str = "",
    grain: Grain = Grain.MONTH,
    org: str = "",
    group: Annotated[str, Query()] = "",
    sfrom: str = "",
    sto: str = "",
    etype: str = "",
    emember: str = "",
    efrom: str = "",
    eto: str = "",
    outcome: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Form fields arrive as text, empty when left blank; they are parsed here."""
    if token:
        return _from_token(request, token)
    principal = _principal(request)
    if principal is None:
        return _sign_in("Sign in with a token to see your organisation's figures.")
    return await _dashboard(
        runtime,
        principal,
        _day(on) or date.today(),
        grain,
        _id(org),
        group,
        _day(sfrom),
        _day(sto),
        etype,
        _id(emember),
        _day(efrom),
        _day(eto),
        outcome,
        page,
    )


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError as exc:
        raise Problem(400, "bad-date", "Not a date", raw) from exc


def _id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError as exc:
        raise Problem(400, "bad-id", "Not an id", raw) from exc


async def _dashboard(
    runtime: Runtime,
    principal: Principal,
    day: date,
    grain: Grain,
    org: uuid.UUID | None,
    group: str,
    sfrom: date | None,
    sto: date | None,
    etype: str,
    emember: uuid.UUID | None,
    efrom: date | None,
    eto: date | None,
    outcome: str,
    page: int,
) -> Response:
    if group not in GROUPINGS:
        raise Problem(400, "unknown-grouping", "Unknown grouping", group)
    stats_period = Period(
        sfrom or day.replace(month=1, day=1), sto or day.replace(month=12, day=31)
    )
    if stats_period.last < stats_period.first:
        raise Problem(400, "bad-period", "Period ends before it starts")
    async with reading(runtime, principal, org) as ctx:
        kpi_period = chart_window(day, Grain.MONTH)
        kpis = await finance.finance(ctx.session, ctx.scope, kpi_period, Grain.MONTH)
        svg, window, _ = await _chart(ctx, day, grain)
        days = await daily.daily_overview(ctx.session, ctx.scope, day)
        box = await todo.todo(ctx.session, ctx.scope, day)
        groups = [group] if group else []
        stats = await subscription_statistics(
            ctx.session, ctx.scope, ctx.tree, stats_period, groups
        )
        flt = LogFilter(etype or None, emember, None, efrom, eto, outcome or None)
        total, entries = await event_log(
            ctx.session, ctx.scope, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        options = _org_options(ctx)
        org_name = ctx.tree.name(org) if org else None
    state = {
        "on": day,
        "grain": grain.value,
        "org": org,
        "group": group or None,
        "sfrom": sfrom,
        "sto": sto,
        "etype": etype or None,
        "emember": emember,
        "efrom": efrom,
        "eto": eto,
        "outcome": outcome or None,
    }

    def here(**changes: Any) -> str:
        return link("/dashboard", **{**state, **changes})

    def documents(figure: str) -> str:
        return link("/dashboard/documents", figure=figure, on=day, org=org)

    def drill(row_group: dict[str, Any], column: Column) -> str:
        params: dict[str, Any] = {
            "from": stats_period.first,
            "to": stats_period.last,
            "column": column.value,
            "org": org,
        }
        for key, value in row_group.items():
            if key in ("branch", "region"):
                params[key] = str(value) if value else "none"
            else:
                params[key] = value
        return link("/dashboard/subscriptions", **params)

    html = templates.get_template("dashboard.html").render(
        principal=principal,
        on=day,
        grain=grain.value,
        grains=list(Grain),
        org=org,
        org_name=org_name,
        options=options,
        currency=kpis.currency or "",
        kpis=kpis,
        kpi_period=kpi_period,
        chart=svg,
        window=window,
        series=SERIES,
        colours=COLOURS,
        labels=LABELS,
        days=days,
        todo=box,
        stats=stats,
        stats_period=stats_period,
        columns=list(Column),
        group=group,
        groupings=GROUPINGS,
        tree=ctx.tree,
        drill=drill,
        documents=documents,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        here=here,
        etype=etype,
        emember=emember or "",
        efrom=efrom or "",
        eto=eto or "",
        outcome=outcome,
    )
    return HTMLResponse(html)


@router.get("/dashboard/chart", response_class=HTMLResponse)
async def chart_fragment(
    request: Request,
    runtime: RuntimeDep,
    on: str = "",
    grain: Grain = Grain.MONTH,
    org: str = "",
) -> Response:
    """The chart alone, for the page's month/week/day switch."""
    principal = _principal(request)
    if principal is None:
        return HTMLResponse("", status_code=401)
    async with reading(runtime, principal, _id(org)) as ctx:
        svg, window, _ = await _chart(ctx, _day(on) or date.today(), grain)
    return HTMLResponse(
        svg, headers={"X-Chart-From": str(window.first), "X-Chart-To": str(window.last)}
    )


TITLES = {
    "invoiced": "Invoiced",
    "outstanding_invoices": "Outstanding invoices",
    "outstanding_notices": "Outstanding notices",
    "not_yet_sent": "Not yet sent",
    "overdue_invoices": "Overdue invoices",
    "overdue_notices": "Overdue notices",
}


@router.get("/dashboard/documents", response_class=HTMLResponse)
async def documents_page(
    request: Request,
    runtime: RuntimeDep,
    figure: str,
    on: str = "",
    org: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The documents behind a finance or to-do figure."""
    principal = _principal(request)
    if principal is None:
        return _sign_in("Sign in with a token to see your organisation's figures.")
    if figure not in TITLES:
        raise Problem(400, "unknown-figure", "Unknown figure", figure)
    day = _day(on) or date.today()
    period = chart_window(day, Grain.MONTH)
    async with reading(runtime, principal, _id(org)) as ctx:
        total, items = await finance.documents_behind(
            ctx.session, ctx.scope, figure, period, day, limit=100, offset=(page - 1) * 100
        )
    html = templates.get_template("documents.html").render(
        title=TITLES[figure],
        figure=figure,
        period=period,
        on=day,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // 100)),
    )
    return HTMLResponse(html)


@router.get("/dashboard/subscriptions", response_class=HTMLResponse)
async def subscriptions_page(
    request: Request,
    runtime: RuntimeDep,
    column: Column,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    product_code: str | None = None,
    price_code: str | None = None,
    gender: str | None = None,
    branch: str | None = None,
    region: str | None = None,
    org: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The subscriptions behind one figure of the statistics table."""
    principal = _principal(request)
    if principal is None:
        return _sign_in("Sign in with a token to see your organisation's figures.")
    period = Period(first, last) if last >= first else Period(first, first)
    async with reading(runtime, principal, _id(org)) as ctx:
        flt = replace(
            organisation_filter(ctx.tree, branch, region),
            column=column.value,
            product_code=product_code,
            price_code=price_code,
            gender=gender,
        )
        total, items = await drill_down(
            ctx.session, ctx.scope, period, flt, limit=100, offset=(page - 1) * 100
        )
        names = {i["org"]: ctx.tree.name(i["org"]) for i in items}
    html = templates.get_template("subscriptions.html").render(
        column=column.value,
        period=period,
        product_code=product_code,
        price_code=price_code,
        gender=gender,
        items=items,
        total=total,
        names=names,
        page=page,
        pages=max(1, -(-total // 100)),
        request_query=str(request.query_params),
    )
    return HTMLResponse(html)
