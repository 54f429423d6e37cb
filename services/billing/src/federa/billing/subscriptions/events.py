"""Subscription events: the one place a command's result becomes a published contract. Each
event carries the subscription's version after the command as its aggregate version."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.lifecycle import Changed, Stopped
from federa.billing.domain.welcome import WelcomeLetter
from federa.billing.subscriptions.store import StoredSubscription
from federa.shared.contracts.billing import (
    SUBSCRIPTION_DELETED,
    SUBSCRIPTION_DELIVERY_MOVED,
    SUBSCRIPTION_PAYER_CHANGED,
    SUBSCRIPTION_PRICE_CODE_CHANGED,
    SUBSCRIPTION_RESTARTED,
    SUBSCRIPTION_STARTED,
    SUBSCRIPTION_STOP_SCHEDULED,
    SUBSCRIPTION_STOPPED,
    SubscriptionDeletedV1,
    SubscriptionDeliveryMovedV1,
    SubscriptionPayerChangedV1,
    SubscriptionPriceCodeChangedV1,
    SubscriptionRestartedV1,
    SubscriptionStartedV1,
    SubscriptionStoppedV1,
    SubscriptionStopScheduledV1,
    WelcomeLetterV1,
)
from federa.shared.contracts.registry import EventData, EventSpec
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx


async def _record(
    session: AsyncSession, spec: EventSpec[Any], stored: StoredSubscription, data: EventData
) -> None:
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(stored.id),
            tenant=stored.row["tenant"],
            aggregate_version=stored.row["version"],
        ),
    )


def _ids(stored: StoredSubscription) -> dict[str, Any]:
    state = stored.state
    return {
        "subscription_id": stored.id,
        "subscription_no": state.subscription_no,
        "member_id": state.member_id,
        "product_code": state.product,
    }


async def record_started_in_tx(
    session: AsyncSession,
    stored: StoredSubscription,
    *,
    recruited_by: uuid.UUID | None = None,
    welcome: WelcomeLetter | None = None,
) -> None:
    state = stored.state
    [start] = state.lifecycle
    data = SubscriptionStartedV1(
        **_ids(stored),
        price_code=state.price_code,
        payer_account_id=state.payer,
        reason_code=start.reason_code,
        registration_date=state.registration_date,
        from_date=state.from_date,
        to_date=state.to_date,
        billed_qty=state.billed_qty,
        delivered_qty=state.delivered_qty,
        persons=state.persons,
        delivery_address_no=state.delivery_address_no,
        organisation_id=state.organisation,
        collection_channel=state.collection_channel.value,
        acquisition_channel=state.acquisition_channel,
        campaign=state.campaign,
        recruited_by_member_id=recruited_by,
        welcome_letter=None
        if welcome is None
        else WelcomeLetterV1(
            method=welcome.method.value, template_code=welcome.template_code, text=welcome.text
        ),
    )
    await _record(session, SUBSCRIPTION_STARTED, stored, data)


@dataclass(frozen=True)
class StopFacts:
    """What `stopped` and `stop_scheduled` say about a stop: from the command, or from the
    scheduled stop's row when its day comes."""

    stop_date: date
    reason_code: str
    credited: bool
    related: Sequence[uuid.UUID]
    member_status_to_set: str | None

    @classmethod
    def of(
        cls,
        stopped: Stopped,
        *,
        related: Sequence[uuid.UUID] = (),
        member_status_to_set: str | None,
    ) -> StopFacts:
        [entry] = stopped.entries
        return cls(
            entry.effective,
            entry.reason_code,
            stopped.credit_period is not None,
            tuple(related),
            member_status_to_set,
        )


async def record_stopped_in_tx(
    session: AsyncSession, stored: StoredSubscription, facts: StopFacts
) -> None:
    data = SubscriptionStoppedV1(
        **_ids(stored),
        stop_date=facts.stop_date,
        reason_code=facts.reason_code,
        credited=facts.credited,
        related_subscription_ids=list(facts.related),
        member_status_to_set=facts.member_status_to_set,
    )
    await _record(session, SUBSCRIPTION_STOPPED, stored, data)


async def record_stop_scheduled_in_tx(
    session: AsyncSession, stored: StoredSubscription, facts: StopFacts
) -> None:
    data = SubscriptionStopScheduledV1(
        **_ids(stored),
        stop_date=facts.stop_date,
        reason_code=facts.reason_code,
        credited=facts.credited,
        related_subscription_ids=list(facts.related),
        member_status_to_set=facts.member_status_to_set,
    )
    await _record(session, SUBSCRIPTION_STOP_SCHEDULED, stored, data)


async def record_price_code_changed_in_tx(
    session: AsyncSession, stored: StoredSubscription, changed: Changed
) -> None:
    entry = changed.entries[-1]
    data = SubscriptionPriceCodeChangedV1(
        **_ids(stored),
        old_price_code=entry.old_value or "",
        new_price_code=entry.new_value or "",
        effective_date=entry.effective,
        collection_channel=stored.state.collection_channel.value,
    )
    await _record(session, SUBSCRIPTION_PRICE_CODE_CHANGED, stored, data)


async def record_payer_changed_in_tx(
    session: AsyncSession, stored: StoredSubscription, changed: Changed
) -> None:
    entry = changed.entries[-1]
    data = SubscriptionPayerChangedV1(
        **_ids(stored),
        old_payer_account_id=uuid.UUID(entry.old_value),
        new_payer_account_id=uuid.UUID(entry.new_value),
        effective_date=entry.effective,
    )
    await _record(session, SUBSCRIPTION_PAYER_CHANGED, stored, data)


async def record_delivery_moved_in_tx(
    session: AsyncSession, stored: StoredSubscription, changed: Changed
) -> None:
    # The move's own pair comes first; a temporary move's return pair follows it.
    moved_in = changed.entries[1]
    data = SubscriptionDeliveryMovedV1(
        **_ids(stored),
        old_address_no=int(moved_in.old_value or 0),
        new_address_no=int(moved_in.new_value or 0),
        from_date=moved_in.effective,
        to_date=moved_in.to_date,
    )
    await _record(session, SUBSCRIPTION_DELIVERY_MOVED, stored, data)


async def record_restarted_in_tx(
    session: AsyncSession, stored: StoredSubscription, changed: Changed
) -> None:
    [start] = changed.entries
    data = SubscriptionRestartedV1(
        **_ids(stored),
        price_code=start.new_value or stored.state.price_code,
        from_date=start.effective,
        reason_code=start.reason_code,
    )
    await _record(session, SUBSCRIPTION_RESTARTED, stored, data)


async def record_deleted_in_tx(session: AsyncSession, stored: StoredSubscription) -> None:
    data = SubscriptionDeletedV1(**_ids(stored))
    await _record(session, SUBSCRIPTION_DELETED, stored, data)
