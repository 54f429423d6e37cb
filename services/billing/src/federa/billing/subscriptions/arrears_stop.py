"""Payments' arrears stop (SPEC §2.3 rule 16, flow F5) seen from billing: the subscriptions it
names stop and their latest billed period is credited (a posted invoice gets a credit memo, an
open order is cancelled), each through the same rule 8 as a stop asked for over the API.

Payments chose the subscriptions, so related products are not stopped on top; members applies
the batch's status, leaving reason and category from the same event, so the stop announces no
member status. A subscription already stopped, unknown, or refused by the rules is left as it
is and logged: the batch's other subscriptions still stop (each in its own savepoint).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.errors import BillingRuleError
from federa.billing.http.subscription_schemas import SubscriptionStop
from federa.billing.scope import Scope
from federa.billing.subscriptions.commands import stop_subscription_in_tx
from federa.shared.contracts.payments import ArrearsStopExecutedV1
from federa.shared.http.problems import Problem

log = logging.getLogger(__name__)

ACTOR = "event:payments.arrears_stop"


@dataclass
class ArrearsStopOutcome:
    stopped: list[UUID] = field(default_factory=list)
    left: dict[UUID, str] = field(default_factory=dict)


async def stop_for_arrears_in_tx(
    session: AsyncSession, tenant: str, data: ArrearsStopExecutedV1
) -> ArrearsStopOutcome:
    outcome = ArrearsStopOutcome()
    request = SubscriptionStop(reason=data.stop_reason_code, credit=True, stop_related=False)
    scope = Scope(tenant, everything=True)
    for subscription_id in data.subscription_ids:
        try:
            async with session.begin_nested():
                await stop_subscription_in_tx(
                    session,
                    scope,
                    subscription_id,
                    request,
                    actor=ACTOR,
                    announce_member_status=False,
                )
        except (BillingRuleError, Problem) as refused:
            outcome.left[subscription_id] = str(refused)
            log.warning(
                "arrears stop %s: subscription %s left as it is: %s",
                data.arrears_stop_id,
                subscription_id,
                refused,
            )
            continue
        outcome.stopped.append(subscription_id)
    return outcome
