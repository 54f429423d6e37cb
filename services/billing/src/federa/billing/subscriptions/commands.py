"""Subscription lifecycle commands inside the caller's transaction (SPEC §2.2 rules 1-13,
flows F1 and F6).

Each command locks the subscription, lets `domain.lifecycle` decide, stores the new state as
the next version with the lifecycle entries it wrote, and records its event in the outbox in
the same transaction. A refused command raises before anything is written. "Today" is the
server's date, read once per command.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.store import load_catalogue
from federa.billing.documents.stop_credits import credit_on_stop_in_tx
from federa.billing.domain.catalogue import Catalogue
from federa.billing.domain.e_invoice import payer_reference
from federa.billing.domain.ids import OrganisationId, PayerId
from federa.billing.domain.lifecycle import (
    Stopped,
    change_payer,
    change_price_code,
    ensure_deletable,
    move_delivery,
    restart_subscription,
    start_subscription,
    stop_subscription,
)
from federa.billing.domain.subscription import (
    CollectionChannel,
    SubscriptionStatus,
    latest_start,
    status_on,
)
from federa.billing.domain.welcome import welcome_letter
from federa.billing.http.subscription_schemas import (
    DeliveryMove,
    PayerChange,
    PriceCodeChange,
    SubscriptionRestart,
    SubscriptionStart,
    SubscriptionStop,
)
from federa.billing.member_addresses import require_delivery_address
from federa.billing.member_copy import load_member, member_facts
from federa.billing.payer_accounts import visible_payer_account
from federa.billing.recruitment.setup import record_recruitment_in_tx, refuse_self_recruitment
from federa.billing.runs.start_billing import plan_start_billing_in_tx
from federa.billing.scope import Scope, visible_subscriptions
from federa.billing.storage.tables import subscriptions
from federa.billing.subscriptions import events
from federa.billing.subscriptions.scheduled_stops import (
    cancel_pending_stop_in_tx,
    record_stop_in_tx,
)
from federa.billing.subscriptions.store import (
    StoredSubscription,
    insert_subscription,
    load_visible,
    save_new_version,
)
from federa.billing.tenancy import next_number_in_tx
from federa.billing.welcome_letters import welcome_settings_of
from federa.shared.http.problems import Problem


async def _catalogue(session: AsyncSession, tenant: str) -> Catalogue:
    return (await load_catalogue(session, tenant)).catalogue


async def start_subscription_in_tx(
    session: AsyncSession, scope: Scope, request: SubscriptionStart, *, actor: str
) -> StoredSubscription:
    today = date.today()
    member = await load_member(session, scope, request.member_id)
    catalogue = await _catalogue(session, scope.tenant)
    payer = request.payer_account_id or member["default_payer_account_id"]
    if request.payer_account_id is not None:
        await visible_payer_account(session, scope, request.payer_account_id)
    if payer is None:
        raise Problem(
            409,
            "no-payer-account",
            "Refused in the current state",
            f"Member {request.member_id} has no payer account yet.",
        )
    organisation = request.organisation_id or member["organisation_id"]
    await require_delivery_address(
        session, scope.tenant, request.member_id, request.delivery_address_no
    )
    started = start_subscription(
        catalogue,
        await member_facts(session, member, today),
        # A number from the tenant's gapless sequence; a refused start gives it back.
        subscription_no=await next_number_in_tx(session, scope.tenant, "subscription"),
        payer=PayerId(payer),
        today=today,
        registration_date=request.registration_date,
        product=request.product,
        price_code=request.price_code,
        from_date=request.from_date,
        to_date=request.to_date,
        stop_reason=request.stop_reason,
        billed_qty=request.billed_qty,
        delivered_qty=request.delivered_qty,
        persons=request.persons,
        delivery_address_no=request.delivery_address_no,
        organisation=None if organisation is None else OrganisationId(organisation),
        collection_channel=CollectionChannel(request.collection_channel),
        acquisition_channel=request.acquisition_channel,
        campaign=request.campaign,
        reason=request.reason,
    )
    refuse_self_recruitment(started.state.member_id, request.recruited_by_member_id)
    stored = await insert_subscription(
        session,
        scope.tenant,
        started.state,
        actor=actor,
        payer_reference=payer_reference(request.payer_reference),
    )
    welcome = welcome_letter(
        await welcome_settings_of(session, scope.tenant),
        product=started.state.product,
        price_code=started.state.price_code,
        acquisition_channel=started.state.acquisition_channel,
        recruited=request.recruited_by_member_id is not None,
        template_code=request.welcome_template,
    )
    await events.record_started_in_tx(
        session, stored, recruited_by=request.recruited_by_member_id, welcome=welcome
    )
    # Rule 39: remember the recruiter; the gift falls due when the first charge is paid.
    await record_recruitment_in_tx(
        session,
        scope.tenant,
        stored.id,
        request.recruited_by_member_id,
        gift_item=request.recruitment_gift_item,
        actor=actor,
    )
    # Rule 6: the first charge at once, when the tenant invoices on start.
    await plan_start_billing_in_tx(session, scope.tenant, stored, actor=actor)
    return stored


async def stop_subscription_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    request: SubscriptionStop,
    *,
    actor: str,
    announce_member_status: bool = True,
) -> StoredSubscription:
    """Rule 8. With `stop_related` the member's subscriptions of the product's related-stop
    list stop too, with the same reason and date. Only the stop that was asked for carries the
    reason's member status, so members changes the status once; an arrears stop, whose own event
    already tells members the status, announces none (`announce_member_status=False`)."""
    today = date.today()
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    catalogue = await _catalogue(session, scope.tenant)
    stopped = stop_subscription(
        stored.state,
        catalogue,
        today=today,
        reason=request.reason,
        stop_date=request.stop_date,
        credit=request.credit,
        stop_related=request.stop_related,
    )
    stopped = await credit_on_stop_in_tx(
        session, scope.tenant, stored.id, stopped, today=today, actor=actor
    )
    saved = await save_new_version(session, stored, stopped.state, actor=actor)
    related = await _stop_related_in_tx(
        session, scope, saved, stopped, catalogue, credit=request.credit, today=today, actor=actor
    )
    await record_stop_in_tx(
        session,
        saved,
        stopped,
        today=today,
        related=tuple(related),
        member_status_to_set=stopped.member_status_to_set if announce_member_status else None,
    )
    return saved


async def _stop_related_in_tx(
    session: AsyncSession,
    scope: Scope,
    stopped_one: StoredSubscription,
    stopped: Stopped,
    catalogue: Catalogue,
    *,
    credit: bool | None,
    today: date,
    actor: str,
) -> list[uuid.UUID]:
    if not stopped.related_products:
        return []
    [entry] = stopped.entries
    candidates = await session.execute(
        select(subscriptions.c.id)
        .where(
            visible_subscriptions(scope),
            subscriptions.c.member_id == stopped_one.state.member_id,
            subscriptions.c.product.in_(stopped.related_products),
        )
        .order_by(subscriptions.c.subscription_no)
    )
    stopped_ids = []
    for candidate_id in candidates.scalars():
        related = await load_visible(session, scope, candidate_id, for_update=True)
        if status_on(related.state, today) is SubscriptionStatus.STOPPED:
            continue
        result = stop_subscription(
            related.state,
            catalogue,
            today=today,
            reason=entry.reason_code,
            # One that starts after the stop date is stopped on its start: it never covers a day.
            stop_date=max(entry.effective, latest_start(related.state)),
            credit=credit,
            stop_related=False,
        )
        result = await credit_on_stop_in_tx(
            session, scope.tenant, related.id, result, today=today, actor=actor
        )
        saved = await save_new_version(session, related, result.state, actor=actor)
        await record_stop_in_tx(session, saved, result, today=today, member_status_to_set=None)
        stopped_ids.append(saved.id)
    return stopped_ids


async def change_price_code_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    request: PriceCodeChange,
    *,
    actor: str,
) -> StoredSubscription:
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    changed = change_price_code(
        stored.state,
        await _catalogue(session, scope.tenant),
        new_price_code=request.price_code,
        today=date.today(),
        from_date=request.from_date,
        collection_channel=(
            None
            if request.collection_channel is None
            else CollectionChannel(request.collection_channel)
        ),
    )
    saved = await save_new_version(session, stored, changed.state, actor=actor)
    await events.record_price_code_changed_in_tx(session, saved, changed)
    return saved


async def change_payer_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    request: PayerChange,
    *,
    actor: str,
) -> StoredSubscription:
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    await visible_payer_account(session, scope, request.payer_account_id)
    changed = change_payer(
        stored.state,
        await _catalogue(session, scope.tenant),
        new_payer=PayerId(request.payer_account_id),
        today=date.today(),
    )
    saved = await save_new_version(session, stored, changed.state, actor=actor)
    await events.record_payer_changed_in_tx(session, saved, changed)
    return saved


async def move_delivery_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    request: DeliveryMove,
    *,
    actor: str,
) -> StoredSubscription:
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    await require_delivery_address(
        session, scope.tenant, stored.state.member_id, request.address_no
    )
    changed = move_delivery(
        stored.state,
        await _catalogue(session, scope.tenant),
        new_address_no=request.address_no,
        from_date=request.from_date,
        to_date=request.to_date,
        today=date.today(),
    )
    saved = await save_new_version(session, stored, changed.state, actor=actor)
    await events.record_delivery_moved_in_tx(session, saved, changed)
    return saved


async def restart_subscription_in_tx(
    session: AsyncSession,
    scope: Scope,
    subscription_id: uuid.UUID,
    request: SubscriptionRestart,
    *,
    actor: str,
) -> StoredSubscription:
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    changed = restart_subscription(
        stored.state,
        await _catalogue(session, scope.tenant),
        today=date.today(),
        price_code=request.price_code,
        from_date=request.from_date,
        reason=request.reason,
    )
    saved = await save_new_version(session, stored, changed.state, actor=actor)
    await events.record_restarted_in_tx(session, saved, changed)
    return saved


async def delete_subscription_in_tx(
    session: AsyncSession, scope: Scope, subscription_id: uuid.UUID, *, actor: str
) -> StoredSubscription:
    """Rule 13: only a subscription never charged and not active. Its row and lifecycle stay
    for the audit trail; it is gone from every read."""
    stored = await load_visible(session, scope, subscription_id, for_update=True)
    ensure_deletable(stored.state, today=date.today())
    saved = await save_new_version(
        session, stored, stored.state, actor=actor, deleted_at=datetime.now(UTC)
    )
    await cancel_pending_stop_in_tx(session, saved.id)
    await events.record_deleted_in_tx(session, saved)
    return saved
