"""Credit on stop (SPEC §2.2 rule 8, flow F6 step 3): a stop with `credit` (or whose reason
code credits on stop) takes back the subscription's latest billed period in the stop's
transaction. A posted invoice gets a credit memo of that subscription's lines of the period;
an open order or draft is cancelled, the other subscriptions' lines issued anew.

Decision (README "Credit on stop"): the days up to the stop stay billed when the stop falls
inside the credited period, so a stopped subscription is never charged again for a period
whose credit the stop asked for; a stop at the period's start leaves it unbilled.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.documents.credits import (
    creditable,
    issue_credit_memos_in_tx,
    lock_document,
    logged_charges,
    of_subscription,
    posted_invoice,
)
from federa.billing.documents.settings import invoicing_settings_of
from federa.billing.domain.credits import STOP, credit_memo, rewound
from federa.billing.domain.lifecycle import Stopped
from federa.billing.orders.cancellation import cancel_in_tx
from federa.billing.storage.documents_tables import billing_log


async def credit_on_stop_in_tx(
    session: AsyncSession,
    tenant: str,
    subscription_id: uuid.UUID,
    stopped: Stopped,
    *,
    today: date,
    actor: str,
) -> Stopped:
    """`stopped` with the billed range the credit leaves; `credit_period` None when there was
    nothing to credit (a free period, or one credited already), so `stopped` says
    `credited: false`. The caller holds the subscription's lock."""
    period = stopped.credit_period
    if period is None:
        return stopped
    charge = (
        await session.execute(
            select(billing_log.c.document_id).where(
                billing_log.c.subscription_id == subscription_id,
                billing_log.c.entry_kind == "charge",
                billing_log.c.period_from == period.start,
                billing_log.c.credited_by_document_id.is_(None),
                billing_log.c.document_id.is_not(None),
            )
        )
    ).scalar_one_or_none()
    if charge is None:
        return replace(stopped, credit_period=None)
    head = await lock_document(session, charge)
    if posted_invoice(head):
        document, lines = await creditable(session, head, wanted=of_subscription(subscription_id))
        settings = await invoicing_settings_of(session, tenant)
        memo = credit_memo(
            document,
            lines,
            document_no=head["document_no"],
            reason=STOP,
            posting_date=today,
            payment_terms_days=settings.payment_terms_days,
        )
        if memo is None:
            return replace(stopped, credit_period=None)
        await issue_credit_memos_in_tx(
            session,
            tenant,
            [memo],
            currency=head["currency"],
            credited_numbers={head["id"]: head["document_no"]},
            actor=actor,
        )
    elif head["status"] == "open":
        await cancel_in_tx(
            session,
            head,
            reason="subscription_stopped",
            actor=actor,
            undo={subscription_id},
            replace_rest=True,
        )
    else:
        return replace(stopped, credit_period=None)
    charges = await logged_charges(session, [subscription_id])
    state = rewound(stopped.state, charges[subscription_id], covered_through=stopped.state.to_date)
    return replace(stopped, state=state)
