"""Planning a billing run (`RunBilling`, SPEC §2.2 rules 24, 27, 29, 32): check the request,
select the subscriptions, cut them into chunks that never split a document, and queue the
chunks, all in one transaction with the run's `billing.run.started`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, and_, cast, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from federa.billing.documents.settings import invoicing_settings_of
from federa.billing.domain.grouping import DocumentGrouping, GroupKey, group_key, pack_groups
from federa.billing.domain.ids import MemberId, PayerId
from federa.billing.runs.state import RunTotals, completed_data, record_run_event_in_tx
from federa.billing.runs.work import queue_chunks_in_tx
from federa.billing.scope import Scope
from federa.billing.storage.documents_tables import billing_run_chunks, billing_runs
from federa.billing.storage.tables import organisations, price_codes, products, subscriptions
from federa.billing.tenancy import settings_of
from federa.shared.contracts.billing import (
    BILLING_RUN_COMPLETED,
    BILLING_RUN_STARTED,
    BillingRunStartedV1,
)
from federa.shared.http.problems import Problem

DEFAULT_CHUNK_SIZE = 500


class ToDateFilter(Enum):
    """Rule 29: "set filter to-date = blank to avoid" the to-date credits."""

    BLANK = "blank"  # only subscriptions without a to-date
    SET = "set"  # only subscriptions with one


@dataclass(frozen=True)
class RunFilters:
    products: tuple[str, ...] = ()
    price_codes: tuple[str, ...] = ()
    organisations: tuple[uuid.UUID, ...] = ()
    members: tuple[uuid.UUID, ...] = ()
    to_date: ToDateFilter | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "products": list(self.products),
            "price_codes": list(self.price_codes),
            "organisations": [str(o) for o in self.organisations],
            "members": [str(m) for m in self.members],
            "to_date": None if self.to_date is None else self.to_date.value,
        }


@dataclass(frozen=True)
class RunRequest:
    posting_date: date
    bill_through: date
    filters: RunFilters = field(default_factory=RunFilters)
    stop_on_error: bool = False
    dry_run: bool = False
    use_value_bands: bool = True
    chunk_size: int = DEFAULT_CHUNK_SIZE


def next_unbilled_sql() -> Any:
    """The domain's `next_unbilled_date` in SQL (rule 24): the day after billed-through, or the
    from-date, but never before the latest (re)start."""
    return func.greatest(
        func.coalesce(subscriptions.c.billed_through + 1, subscriptions.c.from_date),
        subscriptions.c.latest_start,
    )


async def _check_request(session: AsyncSession, scope: Scope, request: RunRequest) -> None:
    """Refuse bad input before anything is written: 422 for what can never be valid, 404
    for unknown products, price codes and organisations."""
    if request.bill_through < request.posting_date:
        raise Problem(
            422,
            "bill-through-before-posting-date",
            "Invalid request",
            f"The bill-through date {request.bill_through} is before the posting date "
            f"{request.posting_date}.",
        )
    filters = request.filters
    if filters.products:
        known = set(
            (
                await session.execute(
                    select(products.c.code).where(
                        products.c.tenant == scope.tenant, products.c.code.in_(filters.products)
                    )
                )
            ).scalars()
        )
        _not_found("product", set(filters.products) - known)
    if filters.price_codes:
        known = set(
            (
                await session.execute(
                    select(price_codes.c.code).where(
                        price_codes.c.tenant == scope.tenant,
                        price_codes.c.code.in_(filters.price_codes),
                    )
                )
            ).scalars()
        )
        _not_found("price-code", set(filters.price_codes) - known)
    if filters.organisations:
        wanted = set(filters.organisations)
        known_orgs = set(
            (
                await session.execute(
                    select(organisations.c.organisation_id).where(
                        organisations.c.tenant == scope.tenant,
                        organisations.c.organisation_id.in_(wanted),
                    )
                )
            ).scalars()
        )
        if not scope.everything:
            known_orgs &= set(scope.organisation_ids)
        _not_found("organisation", {str(o) for o in wanted - known_orgs})


def _not_found(what: str, missing: set[Any]) -> None:
    if missing:
        names = ", ".join(sorted(str(m) for m in missing))
        raise Problem(404, f"unknown-{what}", "Not found", f"Unknown {what}: {names}.")


def _uuid_array(values: tuple[uuid.UUID, ...] | list[uuid.UUID]) -> Any:
    return cast(literal(list(values), ARRAY(Uuid)), ARRAY(Uuid))


async def _organisation_subtree(
    session: AsyncSession, tenant: str, roots: tuple[uuid.UUID, ...]
) -> list[uuid.UUID]:
    beneath = await session.execute(
        select(organisations.c.organisation_id).where(
            organisations.c.tenant == tenant,
            organisations.c.ancestor_ids.overlap(_uuid_array(roots)),
        )
    )
    return sorted({*roots, *beneath.scalars()})


async def selection(session: AsyncSession, scope: Scope, request: RunRequest) -> Select[Any]:
    """Rule 24 (and rule 29's credit candidates): the subscriptions the run charges or
    credits, with what planning groups them by."""
    upcoming = next_unbilled_sql()
    due = and_(
        upcoming <= request.bill_through,
        or_(subscriptions.c.to_date.is_(None), upcoming <= subscriptions.c.to_date),
    )
    reasons = [due]
    filters = request.filters
    if filters.to_date is None:
        reasons.append(
            and_(
                subscriptions.c.to_date.is_not(None),
                subscriptions.c.billed_through.is_not(None),
                subscriptions.c.to_date < subscriptions.c.billed_through,
            )
        )
    where = [
        subscriptions.c.tenant == scope.tenant,
        subscriptions.c.deleted_at.is_(None),
        or_(*reasons),
    ]
    if filters.products:
        where.append(subscriptions.c.product.in_(filters.products))
    if filters.price_codes:
        where.append(subscriptions.c.price_code.in_(filters.price_codes))
    if filters.members:
        where.append(subscriptions.c.member_id.in_(filters.members))
    if filters.to_date is ToDateFilter.BLANK:
        where.append(subscriptions.c.to_date.is_(None))
    elif filters.to_date is ToDateFilter.SET:
        where.append(subscriptions.c.to_date.is_not(None))
    roots = filters.organisations or (() if scope.everything else scope.organisation_ids)
    if roots or not scope.everything:
        subtree = await _organisation_subtree(session, scope.tenant, tuple(roots))
        where.append(subscriptions.c.organisation_id.in_(subtree))
    return (
        select(
            subscriptions.c.id,
            subscriptions.c.payer_account_id,
            subscriptions.c.member_id,
        )
        .where(*where)
        .order_by(
            subscriptions.c.payer_account_id,
            subscriptions.c.member_id,
            subscriptions.c.subscription_no,
        )
    )


@dataclass(frozen=True)
class PlannedRun:
    id: uuid.UUID
    created: bool  # False: an earlier request with the same idempotency key


async def existing_run(
    session: AsyncSession, tenant: str, idempotency_key: str | None
) -> uuid.UUID | None:
    if idempotency_key is None:
        return None
    found = await session.execute(
        select(billing_runs.c.id).where(
            billing_runs.c.tenant == tenant, billing_runs.c.idempotency_key == idempotency_key
        )
    )
    return found.scalar_one_or_none()


async def _selected_groups(
    session: AsyncSession, statement: Select[Any], grouping: DocumentGrouping
) -> tuple[list[list[uuid.UUID]], int]:
    """The selected subscriptions' ids by document group, read in batches from a server-side
    cursor: a million selected rows held as rows and objects took about a kilobyte each in the
    planning request. The selection is ordered by payer, member and number, so each group's
    subscriptions come one after another."""
    groups: list[list[uuid.UUID]] = []
    last: GroupKey | None = None
    count = 0
    async for row in await session.stream(statement.execution_options(yield_per=10_000)):
        key = group_key(
            grouping,
            subscription=row.id,
            payer=PayerId(row.payer_account_id),
            member=MemberId(row.member_id),
        )
        if key != last:
            groups.append([])
            last = key
        groups[-1].append(row.id)
        count += 1
    return groups, count


async def plan_run_in_tx(
    session: AsyncSession,
    scope: Scope,
    request: RunRequest,
    *,
    actor: str,
    idempotency_key: str | None = None,
) -> PlannedRun:
    earlier = await existing_run(session, scope.tenant, idempotency_key)
    if earlier is not None:
        return PlannedRun(earlier, created=False)
    await _check_request(session, scope, request)
    tenant_settings = await settings_of(session, scope.tenant)
    invoicing = await invoicing_settings_of(session, scope.tenant)
    groups, selected = await _selected_groups(
        session, await selection(session, scope, request), invoicing.document_grouping
    )
    chunks = pack_groups(groups, request.chunk_size)
    run_id = uuid.uuid4()
    now = datetime.now(UTC)
    values = {
        "id": run_id,
        "tenant": scope.tenant,
        "status": "planned" if chunks else "completed",
        "dry_run": request.dry_run,
        "posting_date": request.posting_date,
        "bill_through_date": request.bill_through,
        "filters": request.filters.as_json(),
        "stop_on_error": request.stop_on_error,
        "use_value_bands": request.use_value_bands,
        "invoicing_mode": invoicing.invoicing_mode.value,
        "document_grouping": invoicing.document_grouping.value,
        "currency": tenant_settings.currency,
        "subscriptions_selected": selected,
        "chunks_total": len(chunks),
        "idempotency_key": idempotency_key,
        "version": 1,
        "created_by": actor,
        "created_at": now,
        "finished_at": None if chunks else now,
    }
    await session.execute(insert(billing_runs).values(**values))
    if chunks:
        await session.execute(
            insert(billing_run_chunks),
            [
                {"run_id": run_id, "chunk_no": no, "status": "queued", "subscription_ids": ids}
                for no, ids in enumerate(chunks, start=1)
            ],
        )
        await queue_chunks_in_tx(session, scope.tenant, run_id, list(range(1, len(chunks) + 1)))
    await record_run_event_in_tx(
        session,
        BILLING_RUN_STARTED,
        BillingRunStartedV1(
            billing_run_id=run_id,
            posting_date=request.posting_date,
            bill_through_date=request.bill_through,
            dry_run=request.dry_run,
            filters=request.filters.as_json(),
            subscriptions_selected=selected,
            chunks_total=len(chunks),
        ),
        tenant=scope.tenant,
        run_id=run_id,
        version=1,
    )
    if not chunks:
        await session.execute(
            billing_runs.update().where(billing_runs.c.id == run_id).values(version=2)
        )
        await record_run_event_in_tx(
            session,
            BILLING_RUN_COMPLETED,
            completed_data(values, RunTotals(), "completed"),
            tenant=scope.tenant,
            run_id=run_id,
            version=2,
        )
    return PlannedRun(run_id, created=True)
