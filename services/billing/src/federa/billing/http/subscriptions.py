"""/v1/subscriptions: start, read, list, change, stop, restart, delete; lifecycle and quote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.quote import Quote
from federa.billing.domain.subscription import (
    delivery_address_on,
    next_unbilled_date,
    payer_on,
    price_code_on,
    status_on,
)
from federa.billing.http.dependencies import Reader, SubscriptionWriter
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.http.subscription_schemas import (
    DeliveryAddressRead,
    DeliveryMove,
    LifecycleEntryRead,
    PayerChange,
    PriceCodeChange,
    QuoteLineRead,
    QuoteRead,
    SettlementLineRead,
    Status,
    SubscriptionDetail,
    SubscriptionPage,
    SubscriptionRead,
    SubscriptionRestart,
    SubscriptionStart,
    SubscriptionStop,
)
from federa.billing.recruitment.setup import recruitments_by_subscription
from federa.billing.runs.start_billing import charge_started_now
from federa.billing.scope import scope_of
from federa.billing.subscriptions.commands import (
    change_payer_in_tx,
    change_price_code_in_tx,
    delete_subscription_in_tx,
    move_delivery_in_tx,
    restart_subscription_in_tx,
    start_subscription_in_tx,
    stop_subscription_in_tx,
)
from federa.billing.subscriptions.queries import (
    delivery_address_of,
    lifecycle_of,
    list_subscriptions,
    quote_of,
)
from federa.billing.subscriptions.store import StoredSubscription, load_visible
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/subscriptions",
    tags=["subscriptions"],
    route_class=BillingRoute,
    responses=PROBLEMS,
)


def subscription_read(
    stored: StoredSubscription, recruitment: Mapping[str, Any] | None
) -> SubscriptionRead:
    state, today = stored.state, date.today()
    return SubscriptionRead.model_validate(
        {
            **stored.row,
            "price_code": price_code_on(state, today),
            "payer_account_id": payer_on(state, today),
            "delivery_address_no": delivery_address_on(state, today),
            "status": status_on(state, today).value,
            "next_unbilled_date": next_unbilled_date(state),
            **_recruitment_fields(recruitment),
        }
    )


def _recruitment_fields(recruitment: Mapping[str, Any] | None) -> dict[str, Any]:
    if recruitment is None:
        return {"recruited_by_member_id": None, "recruitment_gift_item": None}
    return {
        "recruited_by_member_id": recruitment["recruited_by_member_id"],
        "recruitment_gift_item": recruitment["recruitment_gift_item"],
    }


async def subscription_reads(
    session: AsyncSession, page: list[StoredSubscription]
) -> list[SubscriptionRead]:
    """The read models of subscriptions loaded in `session`, with their recruitments (rule
    39) read in one query for the whole page."""
    recruitments = await recruitments_by_subscription(session, [s.id for s in page])
    return [subscription_read(s, recruitments.get(s.id)) for s in page]


async def read_one(session: AsyncSession, stored: StoredSubscription) -> SubscriptionRead:
    [read] = await subscription_reads(session, [stored])
    return read


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionRead)
async def start(
    body: SubscriptionStart, principal: SubscriptionWriter, runtime: RuntimeDep
) -> SubscriptionRead:
    """`StartSubscription` with the defaults of rules 1-5; writes the START lifecycle entry and
    publishes `billing.subscription.started`. With an invoicing mode on start (rule 6,
    `/v1/invoicing-on-start`) the first period is charged before this answers."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        stored = await start_subscription_in_tx(session, scope, body, actor=principal.subject)
        started = await read_one(session, stored)
    if await charge_started_now(runtime.db, scope.tenant, stored.id):
        async with runtime.db.sessions() as session:
            started = await read_one(session, await load_visible(session, scope, stored.id))
    return started


@router.get("", response_model=SubscriptionPage)
async def list_all(
    principal: Reader,
    runtime: RuntimeDep,
    member_id: UUID | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    product: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SubscriptionPage:
    """Subscriptions the caller may see, in subscription-number order; `status` is today's."""
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        page, total = await list_subscriptions(
            session,
            scope,
            member_id=member_id,
            status=status_,
            product=product,
            limit=limit,
            offset=offset,
        )
        items = await subscription_reads(session, page)
    return SubscriptionPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{subscription_id}", response_model=SubscriptionDetail)
async def read(subscription_id: UUID, principal: Reader, runtime: RuntimeDep) -> SubscriptionDetail:
    """As of today, with the delivery address in effect today."""
    async with runtime.db.sessions() as session:
        stored = await load_visible(session, await scope_of(session, principal), subscription_id)
        found = await read_one(session, stored)
        address = await delivery_address_of(session, stored, date.today())
    return SubscriptionDetail.model_validate({**found.model_dump(), "delivery_address": address})


@router.get("/{subscription_id}/delivery-address", response_model=DeliveryAddressRead)
async def delivery_address(
    subscription_id: UUID,
    principal: Reader,
    runtime: RuntimeDep,
    on: Annotated[date | None, Query(description="The day; today if left out")] = None,
) -> DeliveryAddressRead:
    """The address deliveries on `on` go to, temporary moves included (rule 11: extracts use
    the address valid on the extraction date). 404 while billing knows no such address."""
    async with runtime.db.sessions() as session:
        stored = await load_visible(session, await scope_of(session, principal), subscription_id)
        address = await delivery_address_of(session, stored, on or date.today())
    if address is None:
        raise Problem(
            404,
            "delivery-address-not-found",
            "Not found",
            f"Billing knows no address of subscription {subscription_id}'s member on that day.",
        )
    return DeliveryAddressRead.model_validate(address)


@router.post("/{subscription_id}/stop", response_model=SubscriptionRead)
async def stop(
    subscription_id: UUID,
    body: SubscriptionStop,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
) -> SubscriptionRead:
    """`StopSubscription` (rule 8): STOP entry on the stop date (the first day without
    coverage). Dated today or earlier it publishes `billing.subscription.stopped` with the
    member status the reason sets, which members applies; dated later it publishes
    `billing.subscription.stop_scheduled`, and `stopped` follows on the day."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        stored = await stop_subscription_in_tx(
            session, scope, subscription_id, body, actor=principal.subject
        )
        return await read_one(session, stored)


@router.post("/{subscription_id}/price-code", response_model=SubscriptionRead)
async def change_price_code(
    subscription_id: UUID,
    body: PriceCodeChange,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
) -> SubscriptionRead:
    """`ChangePriceCode` (rule 9): PRIS-/PRIS+ from the next billing period or later, never
    inside a billed one (409); publishes `billing.subscription.price_code_changed`."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        stored = await change_price_code_in_tx(
            session, scope, subscription_id, body, actor=principal.subject
        )
        return await read_one(session, stored)


@router.post("/{subscription_id}/payer", response_model=SubscriptionRead)
async def change_payer(
    subscription_id: UUID, body: PayerChange, principal: SubscriptionWriter, runtime: RuntimeDep
) -> SubscriptionRead:
    """`ChangePayer` (rule 10): DEB-/DEB+ from the day after the latest invoiced period;
    publishes `billing.subscription.payer_changed`."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        stored = await change_payer_in_tx(
            session, scope, subscription_id, body, actor=principal.subject
        )
        return await read_one(session, stored)


@router.post("/{subscription_id}/move", response_model=SubscriptionRead)
async def move(
    subscription_id: UUID, body: DeliveryMove, principal: SubscriptionWriter, runtime: RuntimeDep
) -> SubscriptionRead:
    """`MoveDelivery` (rule 11): FLYT-/FLYT+, and the return pair after a temporary move;
    publishes `billing.subscription.delivery_moved`."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        stored = await move_delivery_in_tx(
            session, scope, subscription_id, body, actor=principal.subject
        )
        return await read_one(session, stored)


@router.post("/{subscription_id}/restart", response_model=SubscriptionRead)
async def restart(
    subscription_id: UUID,
    body: SubscriptionRestart,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
) -> SubscriptionRead:
    """`RestartSubscription` (rule 12): a START entry from the stop date or later; publishes
    `billing.subscription.restarted`."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        stored = await restart_subscription_in_tx(
            session, scope, subscription_id, body, actor=principal.subject
        )
        return await read_one(session, stored)


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(subscription_id: UUID, principal: SubscriptionWriter, runtime: RuntimeDep) -> None:
    """`DeleteSubscription` (rule 13): only when never charged and not active (409 otherwise);
    publishes `billing.subscription.deleted`."""
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        await delete_subscription_in_tx(session, scope, subscription_id, actor=principal.subject)


@router.get("/{subscription_id}/lifecycle", response_model=list[LifecycleEntryRead])
async def lifecycle(
    subscription_id: UUID, principal: Reader, runtime: RuntimeDep
) -> list[LifecycleEntryRead]:
    """The immutable lifecycle entries in the order they were written, future-dated ones
    included."""
    async with runtime.db.sessions() as session:
        rows = await lifecycle_of(session, await scope_of(session, principal), subscription_id)
    return [LifecycleEntryRead.model_validate(r) for r in rows]


def quote_read(
    stored: StoredSubscription, result: Quote, bill_through: date, currency: str
) -> QuoteRead:
    return QuoteRead(
        subscription_id=stored.id,
        subscription_no=result.subscription_no,
        bill_through=bill_through,
        period_from=None if result.period is None else result.period.start,
        period_to=None if result.period is None else result.period.end,
        first_charge=result.first_charge,
        free=result.free,
        lines=[
            QuoteLineRead.model_validate({**asdict(line), "kind": line.kind.value})
            for line in result.lines
        ],
        settlements=[
            SettlementLineRead(
                organisation_id=s.organisation,
                organisation_name=s.organisation_name,
                amount=s.amount,
                rule=s.rule,
            )
            for s in result.settlements
        ],
        total=result.total,
        currency=currency,
        explanation=result.explanation,
        notes=list(result.notes),
    )


@router.get("/{subscription_id}/quote", response_model=QuoteRead)
async def quote(
    subscription_id: UUID,
    bill_through: date,
    principal: Reader,
    runtime: RuntimeDep,
    use_value_bands: bool = True,
) -> QuoteRead:
    """The next charge a billing run through `bill_through` would make, line by line, each
    line with the rule that produced its amount (rules 15-25, 34). Nothing is charged."""
    async with runtime.db.sessions() as session:
        stored, result, currency = await quote_of(
            session,
            await scope_of(session, principal),
            subscription_id,
            bill_through=bill_through,
            use_value_bands=use_value_bands,
        )
    return quote_read(stored, result, bill_through, currency)
