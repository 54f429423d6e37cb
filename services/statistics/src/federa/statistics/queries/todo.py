"""The to-do box (SPEC §4.1): what needs someone's attention now."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts import REGISTRY
from federa.statistics.queries.finance import overdue
from federa.statistics.queries.scope import Scope

# Nothing publishes sessions (attendance) yet; the source's third to-do item waits for it.
NOT_FED = ["unconfirmed_sessions"]


def _event_type(service: str, aggregate: str, name: str) -> str | None:
    """The type of an event if the contracts have it: payments is adding these right now."""
    for spec in REGISTRY.all():
        if (spec.service, spec.aggregate, spec.event) == (service, aggregate, name):
            return spec.type
    return None


async def _open_exceptions(session: AsyncSession, tenant: str) -> dict[str, int] | None:
    """Exceptions raised and not resolved, from the archive (no read model needed)."""
    raised = _event_type("payments", "exception", "raised")
    resolved = _event_type("payments", "exception", "resolved")
    if raised is None:
        return None
    row = await session.execute(
        text(
            """
SELECT count(*) AS n, COALESCE(sum(amount), 0) AS a FROM (
    SELECT DISTINCT ON (r.envelope->'data'->>'exception_id')
           CAST(r.envelope->'data'->>'amount' AS bigint) AS amount
    FROM event_archive r
    WHERE r.tenant = :tenant AND r.event_type = :raised
      AND NOT EXISTS (
          SELECT 1 FROM event_archive x
          WHERE x.tenant = r.tenant AND x.event_type = :resolved
            AND x.envelope->'data'->>'exception_id' = r.envelope->'data'->>'exception_id')
) open_ones
"""
        ),
        {"tenant": tenant, "raised": raised, "resolved": resolved or ""},
    )
    found = row.mappings().one()
    return {"count": int(found["n"]), "amount": int(found["a"])}


async def todo(session: AsyncSession, scope: Scope, today: date) -> dict[str, Any]:
    figures = await overdue(session, scope, today)
    out: dict[str, Any] = {k: {"count": v.count, "amount": v.amount} for k, v in figures.items()}
    not_fed = list(NOT_FED)
    if scope.everything:
        unidentified = (
            (
                await session.execute(
                    text(
                        """
SELECT count(*) AS n, COALESCE(sum(p.amount), 0) AS a FROM payments p
WHERE p.tenant = :tenant AND p.payer_account_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.payment_id = p.payment_id)
"""
                    ),
                    {"tenant": scope.tenant},
                )
            )
            .mappings()
            .one()
        )
        out["unidentified_payments"] = {
            "count": int(unidentified["n"]),
            "amount": int(unidentified["a"]),
        }
        exceptions = await _open_exceptions(session, scope.tenant)
        if exceptions is None:
            not_fed.append("payment_exceptions")
        else:
            out["payment_exceptions"] = exceptions
    out["not_fed"] = not_fed
    return out
