"""What the payments service does with the events it consumes.

Members' events keep the member copy; billing's payer accounts keep the payer copy (payer
numbers in files, a member's own payer for manual entries); billing's documents and credit
memos feed the receivable ledger (`ledger/receivables.py`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.ledger.receivables import (
    on_credit_memo_issued,
    on_document_cancelled,
    on_document_issued,
    on_document_posted,
)
from federa.payments.storage.tables import members, organisations, payer_accounts
from federa.shared.contracts.billing import (
    CREDIT_MEMO_ISSUED,
    DOCUMENT_CANCELLED,
    DOCUMENT_ISSUED,
    DOCUMENT_POSTED,
    PAYER_ACCOUNT_CREATED,
    PAYER_ACCOUNT_UPDATED,
    PayerAccountStateV1,
)
from federa.shared.contracts.members import (
    MEMBER_ERASED,
    MEMBER_STATE_EVENTS,
    ORGANISATION_CREATED,
    ORGANISATION_MOVED,
    ORGANISATION_UPDATED,
    MemberErasedV1,
    MemberState,
    OrganisationStateV1,
)
from federa.shared.envelope import CloudEvent
from federa.shared.messaging.consumer import Subscription, on
from federa.shared.projection import (
    keep_member_copy_in_tx,
    scrub_member_copy_in_tx,
    upsert_if_newer_in_tx,
)


async def on_member_changed(session: AsyncSession, event: CloudEvent, data: MemberState) -> None:
    await keep_member_copy_in_tx(session, members, event, data)


async def on_member_erased(session: AsyncSession, event: CloudEvent, data: MemberErasedV1) -> None:
    await scrub_member_copy_in_tx(session, members, event, data)


async def on_payer_account_changed(
    session: AsyncSession, event: CloudEvent, data: PayerAccountStateV1
) -> None:
    await upsert_if_newer_in_tx(
        session,
        payer_accounts,
        {
            "payer_account_id": data.payer_account_id,
            "tenant": event.tenant,
            "number": data.number,
            "owner_member_id": data.owner_member_id,
            "name": data.name,
            "version": event.aggregateversion,
        },
        key=["payer_account_id"],
    )


async def on_organisation_changed(
    session: AsyncSession, event: CloudEvent, data: OrganisationStateV1
) -> None:
    await upsert_if_newer_in_tx(
        session,
        organisations,
        {
            "organisation_id": data.organisation_id,
            "tenant": event.tenant,
            "ancestor_ids": data.ancestor_ids,
            "version": event.aggregateversion,
        },
        key=["organisation_id"],
    )


SUBSCRIPTIONS: list[Subscription[Any]] = [
    *(on(spec, on_member_changed) for spec in MEMBER_STATE_EVENTS),
    on(MEMBER_ERASED, on_member_erased),
    on(ORGANISATION_CREATED, on_organisation_changed),
    on(ORGANISATION_UPDATED, on_organisation_changed),
    on(ORGANISATION_MOVED, on_organisation_changed),
    on(PAYER_ACCOUNT_CREATED, on_payer_account_changed),
    on(PAYER_ACCOUNT_UPDATED, on_payer_account_changed),
    on(DOCUMENT_ISSUED, on_document_issued),
    on(DOCUMENT_POSTED, on_document_posted),
    on(DOCUMENT_CANCELLED, on_document_cancelled),
    on(CREDIT_MEMO_ISSUED, on_credit_memo_issued),
]
