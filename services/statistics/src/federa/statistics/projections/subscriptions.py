"""Subscription facts: refolded from the archive whenever anything about the subscription
arrives, so the row is the same whatever order its events came in.

A refold is two round trips whatever the number of subscriptions: one read of their archived
events and charges, one write of their rows and price codes. The consumer refolds the one
subscription an event names; the rebuild defers every refold to the end of its batch and
refolds each subscription the batch touched once (`deferring_refreshes`), which gives the
same rows because a fold is a function of the archive and the charges alone.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Date, Text, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from federa.statistics.domain import subscriptions as rules
from federa.statistics.domain.wording import event_name
from federa.statistics.storage.archive import lock_in_tx

SUBSCRIPTION_EVENTS = "federa.billing.subscription."

# session.info key: when present, refreshes are collected here instead of run (the rebuild).
_DEFERRED = "federa.statistics.deferred_refreshes"

Key = tuple[str, uuid.UUID]


def lock_key(subscription_id: uuid.UUID | str) -> str:
    return f"subscription:{subscription_id}"


async def lock_subscriptions_in_tx(session: AsyncSession, ids: Iterable[uuid.UUID]) -> None:
    if _DEFERRED in session.info:
        return  # the deferred refold locks every subscription it folds
    await lock_in_tx(session, [lock_key(i) for i in ids])


async def refresh_subscription_in_tx(
    session: AsyncSession, tenant: str, subscription_id: uuid.UUID
) -> None:
    """Fold the subscription's events and charges into its row (or remove it). The caller
    holds the subscription's lock (unless refreshes are deferred)."""
    deferred: set[Key] | None = session.info.get(_DEFERRED)
    if deferred is not None:
        deferred.add((tenant, subscription_id))
        return
    await refold_in_tx(session, [(tenant, subscription_id)])


def defer_refreshes(session: AsyncSession) -> None:
    """Collect this transaction's refreshes for `flush_refreshes_in_tx`."""
    session.info[_DEFERRED] = set()


async def flush_refreshes_in_tx(session: AsyncSession) -> int:
    """Lock and refold every subscription collected since `defer_refreshes`; how many."""
    keys: set[Key] = session.info.get(_DEFERRED) or set()
    session.info[_DEFERRED] = set()
    if not keys:
        return 0
    ordered = sorted(keys, key=lambda k: (k[0], str(k[1])))
    await lock_in_tx(session, [lock_key(i) for _, i in ordered])
    await refold_in_tx(session, ordered)
    return len(ordered)


_READ = text(
    """
SELECT k.tenant, a.subject AS id, a.event_type, a.aggregate_version AS version, a.seq,
       a.envelope -> 'data' AS data,
       NULL AS kind, NULL::date AS period_from, NULL::date AS period_to, NULL::bigint AS amount
FROM unnest(CAST(:tenants AS text[]), CAST(:subjects AS text[])) AS k(tenant, subject)
JOIN event_archive a ON a.tenant = k.tenant AND a.subject = k.subject
WHERE a.event_type LIKE 'federa.billing.subscription.%'
UNION ALL
SELECT NULL, CAST(c.subscription_id AS text), NULL, NULL, NULL, NULL,
       c.kind, c.period_from, c.period_to, c.amount
FROM subscription_charges c
LEFT JOIN documents d ON d.document_id = c.source_id
-- A cancelled order or draft charged nothing.
WHERE c.subscription_id = ANY(CAST(:ids AS uuid[])) AND d.cancelled_reason IS NULL
ORDER BY version NULLS LAST, seq
"""
).bindparams(
    bindparam("tenants", type_=ARRAY(Text)),
    bindparam("subjects", type_=ARRAY(Text)),
    bindparam("ids", type_=ARRAY(Uuid)),
)

_SUBSCRIPTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("subscription_id", "uuid"),
    ("tenant", "text"),
    ("subscription_no", "bigint"),
    ("member_id", "uuid"),
    ("payer_account_id", "uuid"),
    ("organisation_id", "uuid"),
    ("product_code", "text"),
    ("price_code", "text"),
    ("from_date", "date"),
    ("to_date", "date"),
    ("stop_date", "date"),
    ("stop_reason", "text"),
    ("billed_through", "date"),
    ("end_date", "date"),
    ("monthly_revenue", "bigint"),
    ("commitment_months", "int"),
    ("charge_interval_months", "int"),
    ("delivered_qty", "int"),
    ("version", "int"),
)
_NAMES = ", ".join(c for c, _ in _SUBSCRIPTION_COLUMNS)

# One statement for every write of a refold. Each CTE touches rows no other one does (the
# price codes dropped are those not written again; the subscriptions removed are not
# upserted), since rows modified twice in one statement are not allowed.
_WRITE = text(
    f"""
WITH pc AS (
    SELECT * FROM unnest(CAST(:pc_ids AS uuid[]), CAST(:pc_from AS date[]),
                         CAST(:pc_tenants AS text[]), CAST(:pc_codes AS text[]))
        AS t(subscription_id, from_date, tenant, price_code)
), dropped_codes AS (
    DELETE FROM subscription_price_codes s
    WHERE s.subscription_id = ANY(CAST(:ids AS uuid[]))
      AND NOT EXISTS (SELECT 1 FROM pc WHERE pc.subscription_id = s.subscription_id
                                         AND pc.from_date = s.from_date)
), kept_codes AS (
    INSERT INTO subscription_price_codes (subscription_id, from_date, tenant, price_code)
    SELECT subscription_id, from_date, tenant, price_code FROM pc
    ON CONFLICT (subscription_id, from_date)
    DO UPDATE SET tenant = excluded.tenant, price_code = excluded.price_code
), removed AS (
    DELETE FROM subscriptions WHERE subscription_id = ANY(CAST(:gone AS uuid[]))
)
INSERT INTO subscriptions ({_NAMES})
SELECT * FROM unnest({", ".join(f"CAST(:{c} AS {t}[])" for c, t in _SUBSCRIPTION_COLUMNS)})
-- The fold is the whole truth, so it always overwrites: a charge that arrives later changes
-- the row without a newer subscription version.
ON CONFLICT (subscription_id) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c, _ in _SUBSCRIPTION_COLUMNS[1:])}
"""
).bindparams(
    bindparam("ids", type_=ARRAY(Uuid)),
    bindparam("gone", type_=ARRAY(Uuid)),
    bindparam("pc_ids", type_=ARRAY(Uuid)),
    bindparam("pc_from", type_=ARRAY(Date)),
    bindparam("pc_tenants", type_=ARRAY(Text)),
    bindparam("pc_codes", type_=ARRAY(Text)),
)


async def refold_in_tx(session: AsyncSession, keys: Sequence[Key]) -> None:
    """Fold each (tenant, subscription) from its archived events and charges and write the
    rows. The caller holds their locks."""
    rows = await session.execute(
        _READ,
        {
            "tenants": [t for t, _ in keys],
            "subjects": [str(i) for _, i in keys],
            "ids": [i for _, i in keys],
        },
    )
    events: dict[Key, list[rules.ArchivedEvent]] = defaultdict(list)
    charges: dict[uuid.UUID, list[rules.Charge]] = defaultdict(list)
    for r in rows:
        if r.event_type is not None:
            # In version order, then arrival order, as the fold expects.
            events[(r.tenant, uuid.UUID(r.id))].append(
                rules.ArchivedEvent(event_name(r.event_type)[2], r.version, r.data)
            )
        else:
            charges[uuid.UUID(r.id)].append(
                rules.Charge(r.kind == "credit", r.period_from, r.period_to, r.amount)
            )
    columns: dict[str, list[Any]] = {c: [] for c, _ in _SUBSCRIPTION_COLUMNS}
    codes: dict[str, list[Any]] = {"pc_ids": [], "pc_from": [], "pc_tenants": [], "pc_codes": []}
    gone: list[uuid.UUID] = []
    for tenant, subscription_id in keys:
        state = rules.fold_subscription(events.get((tenant, subscription_id), []))
        if state is None:
            gone.append(subscription_id)
            continue
        for first, code in state.price_history:
            codes["pc_ids"].append(subscription_id)
            codes["pc_from"].append(first)
            codes["pc_tenants"].append(tenant)
            codes["pc_codes"].append(code)
        own = charges.get(subscription_id, [])
        billed = rules.billed_through(own)
        row = {
            "subscription_id": state.subscription_id,
            "tenant": tenant,
            "subscription_no": state.subscription_no,
            "member_id": state.member_id,
            "payer_account_id": state.payer_account_id,
            "organisation_id": state.organisation_id,
            "product_code": state.product_code,
            "price_code": state.price_code,
            "from_date": state.from_date,
            "to_date": state.to_date,
            "stop_date": state.stop_date,
            "stop_reason": state.stop_reason,
            "billed_through": billed,
            "end_date": rules.end_date(state, billed),
            "monthly_revenue": rules.monthly_revenue(own),
            "commitment_months": rules.commitment_months(state),
            "charge_interval_months": rules.charge_interval_months(own),
            "delivered_qty": state.delivered_qty,
            "version": state.version,
        }
        for name, value in row.items():
            columns[name].append(value)
    await session.execute(_WRITE, {"ids": [i for _, i in keys], "gone": gone, **codes, **columns})
