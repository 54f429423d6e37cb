"""The daily overview (SPEC §4.1): what happened, happens and will happen yesterday, today
and tomorrow, as far as events tell it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.queries.scope import Scope

# The source's items that no event feeds yet (sessions, groups, trial status belong to an
# activities context that does not exist; reminders and mailings have no events yet).
NOT_FED = [
    "sessions",
    "groups_notified",
    "bookings_opened",
    "trial_status",
    "reminders",
    "mailings",
]

_SQL = """
WITH days AS (SELECT CAST(:d AS date) - 1 AS day UNION ALL SELECT CAST(:d AS date)
              UNION ALL SELECT CAST(:d AS date) + 1),
docs AS (
    SELECT d.posting_date, d.due_date, d.total_amount, d.closed_on
    FROM documents d LEFT JOIN members m ON m.member_id = d.member_id
    WHERE d.tenant = :tenant AND d.total_amount IS NOT NULL
      AND (CAST(:orgs AS uuid[]) IS NULL
           OR COALESCE(d.organisation_id, m.organisation_id) = ANY(CAST(:orgs AS uuid[])))
),
pays AS (
    SELECT p.value_date, p.amount
    FROM payments p
    LEFT JOIN payers y ON y.payer_account_id = p.payer_account_id
    LEFT JOIN members m ON m.member_id = y.owner_member_id
    WHERE p.tenant = :tenant
      AND (CAST(:orgs AS uuid[]) IS NULL OR m.organisation_id = ANY(CAST(:orgs AS uuid[])))
),
subs AS (
    SELECT s.from_date, s.end_date
    FROM subscriptions s LEFT JOIN members m ON m.member_id = s.member_id
    WHERE s.tenant = :tenant AND (s.end_date IS NULL OR s.end_date >= s.from_date)
      AND (CAST(:orgs AS uuid[]) IS NULL
           OR COALESCE(s.organisation_id, m.organisation_id) = ANY(CAST(:orgs AS uuid[])))
),
mems AS (
    SELECT enrolment_date, leaving_date FROM members
    WHERE tenant = :tenant
      AND (CAST(:orgs AS uuid[]) IS NULL OR organisation_id = ANY(CAST(:orgs AS uuid[])))
)
SELECT days.day,
  (SELECT count(*) FROM docs WHERE posting_date = days.day) AS documents_issued,
  (SELECT COALESCE(sum(total_amount), 0) FROM docs WHERE posting_date = days.day)
      AS documents_amount,
  (SELECT count(*) FROM docs WHERE due_date = days.day AND closed_on IS NULL) AS documents_due,
  (SELECT count(*) FROM pays WHERE value_date = days.day) AS payments_received,
  (SELECT COALESCE(sum(amount), 0) FROM pays WHERE value_date = days.day) AS payments_amount,
  (SELECT count(*) FROM subs WHERE from_date = days.day) AS subscriptions_starting,
  (SELECT count(*) FROM subs WHERE end_date = days.day) AS subscriptions_ending,
  (SELECT count(*) FROM mems WHERE enrolment_date = days.day) AS members_joined,
  (SELECT count(*) FROM mems WHERE leaving_date = days.day) AS members_left
FROM days ORDER BY days.day
"""


async def daily_overview(session: AsyncSession, scope: Scope, day: date) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(_SQL), {"tenant": scope.tenant, "orgs": scope.sql_orgs(), "d": day}
    )
    labels = {
        day - timedelta(days=1): "yesterday",
        day: "today",
        day + timedelta(days=1): "tomorrow",
    }
    return [
        {"label": labels[r["day"]], **{k: v if k == "day" else int(v) for k, v in r.items()}}
        for r in rows.mappings()
    ]
