"""/v1/events: the event log, every domain event in words, filtered and paginated."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from federa.shared.service import RuntimeDep
from federa.statistics.domain.periods import Period
from federa.statistics.http.common import (
    Limit,
    Offset,
    OrganisationQuery,
    Reader,
    page,
    period_of,
    reading,
)
from federa.statistics.queries.events import LogFilter, event_log

router = APIRouter(prefix="/v1", tags=["event log"])


@router.get("/events")
async def get_events(
    principal: Reader,
    runtime: RuntimeDep,
    event_type: Annotated[
        str | None,
        Query(
            alias="type", description="Prefix: billing, billing.document, billing.document.issued."
        ),
    ] = None,
    member_id: uuid.UUID | None = None,
    organisation_id: OrganisationQuery = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    outcome: Annotated[
        str | None, Query(description="issued, paid, completed, cancelled, closed, ...")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Newest first. An entry belongs to an organisation through the organisation it names or
    its member's."""
    if first and last:
        period_of(first, last, Period(first, first))  # a period ending before it starts: 400
    async with reading(runtime, principal, organisation_id) as ctx:
        flt = LogFilter(
            event_type,
            member_id,
            None if organisation_id is None else ctx.scope.organisation_ids,
            first,
            last,
            outcome,
        )
        total, items = await event_log(ctx.session, ctx.scope, flt, limit=limit, offset=offset)
    params = {
        "type": event_type,
        "member_id": member_id,
        "organisation_id": organisation_id,
        "from": first,
        "to": last,
        "outcome": outcome,
    }
    return {"items": items, **page(total, limit, offset, "/v1/events", **params)}
