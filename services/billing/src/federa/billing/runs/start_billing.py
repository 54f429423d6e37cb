"""Invoicing on start (SPEC §2.2 rule 6, flow F1 step 5): with the tenant's "invoicing mode on
start" other than `none`, starting a subscription charges its first period at once.

The charge is a billing run of that one subscription, planned in the start's transaction
(one chunk, queued like any run's) and issuing the document the mode asks for, so it goes
through the run's own charge code (`runs.chunks.process_chunk`) and its exactly-once guards.
The API processes the chunk right after the start commits, so the document exists when the
start answers; the queued chunk message then finds it done. Started any other way (a bulk
command), a billing worker processes it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.settings import invoicing_settings_of
from federa.billing.runs.chunks import process_chunk
from federa.billing.runs.state import record_run_event_in_tx
from federa.billing.runs.work import queue_chunks_in_tx
from federa.billing.storage.documents_tables import billing_run_chunks, billing_runs
from federa.billing.storage.settlement_tables import start_invoicing
from federa.billing.subscriptions.store import StoredSubscription
from federa.billing.tenancy import settings_of
from federa.shared.contracts.billing import BILLING_RUN_STARTED, BillingRunStartedV1
from federa.shared.db import Database

log = logging.getLogger(__name__)

NONE = "none"


async def start_mode_of(session: AsyncSession, tenant: str) -> str:
    """none | invoice | draft_invoice | order; `none` while the tenant saved nothing."""
    mode = (
        await session.execute(
            select(start_invoicing.c.mode).where(start_invoicing.c.tenant == tenant)
        )
    ).scalar_one_or_none()
    return mode or NONE


async def save_start_mode_in_tx(session: AsyncSession, tenant: str, mode: str) -> None:
    statement = upsert(start_invoicing).values(
        tenant=tenant, mode=mode, updated_at=datetime.now(UTC)
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[start_invoicing.c.tenant],
            set_={"mode": statement.excluded.mode, "updated_at": statement.excluded.updated_at},
        )
    )


def _filters(stored: StoredSubscription) -> dict[str, object]:
    return {
        "products": [],
        "price_codes": [],
        "organisations": [],
        "members": [str(stored.state.member_id)],
        "to_date": None,
        "subscriptions": [str(stored.id)],
        "on_start": True,
    }


async def plan_start_billing_in_tx(
    session: AsyncSession, tenant: str, stored: StoredSubscription, *, actor: str
) -> uuid.UUID | None:
    """The one-subscription run of a start, when the tenant's mode asks for one. It bills
    through the later of today and the from-date, so the first period is due."""
    mode = await start_mode_of(session, tenant)
    if mode == NONE:
        return None
    today = date.today()
    bill_through = max(today, stored.state.from_date)
    invoicing = await invoicing_settings_of(session, tenant)
    currency = (await settings_of(session, tenant)).currency
    run_id = start_run_id(stored.id)
    filters = _filters(stored)
    await session.execute(
        insert(billing_runs).values(
            id=run_id,
            tenant=tenant,
            status="planned",
            dry_run=False,
            posting_date=today,
            bill_through_date=bill_through,
            filters=filters,
            stop_on_error=False,
            use_value_bands=True,
            invoicing_mode=mode,
            document_grouping=invoicing.document_grouping.value,
            currency=currency,
            subscriptions_selected=1,
            chunks_total=1,
            version=1,
            created_by=actor,
            created_at=datetime.now(UTC),
        )
    )
    await session.execute(
        insert(billing_run_chunks).values(
            run_id=run_id, chunk_no=1, status="queued", subscription_ids=[stored.id]
        )
    )
    await queue_chunks_in_tx(session, tenant, run_id, [1])
    await record_run_event_in_tx(
        session,
        BILLING_RUN_STARTED,
        BillingRunStartedV1(
            billing_run_id=run_id,
            posting_date=today,
            bill_through_date=bill_through,
            filters=filters,
            subscriptions_selected=1,
            chunks_total=1,
        ),
        tenant=tenant,
        run_id=run_id,
        version=1,
    )
    return run_id


def start_run_id(subscription_id: uuid.UUID) -> uuid.UUID:
    """A start's run has an id derived from the subscription's, so the API finds it by key (a
    subscription starts once; a restart is charged by the runs)."""
    return uuid.uuid5(subscription_id, "billing-run:on-start")


async def charge_started_now(db: Database, tenant: str, subscription_id: uuid.UUID) -> bool:
    """Process the start's run here and now; False when there is none. A failure outside the
    billing rules is logged and left to the billing workers, which have the chunk queued: the
    start itself has committed and stands."""
    run_id = start_run_id(subscription_id)
    async with db.sessions() as session:
        planned = await session.execute(
            select(billing_runs.c.id).where(
                billing_runs.c.id == run_id, billing_runs.c.tenant == tenant
            )
        )
        if planned.first() is None:
            return False
    try:
        await process_chunk(db, run_id, 1, worker="api:start")
    except Exception:
        log.exception("charging subscription %s on start failed; a worker retries", subscription_id)
        return False
    return True
