"""Copies of members, the organisation tree, payer accounts and price codes, each kept by an
order-safe upsert on the aggregate's version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from federa.shared.contracts.billing import PayerAccountStateV1, PriceCodeStateV1
from federa.shared.contracts.members import MemberErasedV1, MemberState, OrganisationStateV1
from federa.shared.envelope import CloudEvent
from federa.shared.projection import SCRUBBED_FIELDS, scrub_member_copy_in_tx
from federa.statistics.storage.tables import (
    members,
    organisations,
    payers,
    price_codes,
)
from federa.statistics.storage.writes import upsert_if_newer, write_in_tx


async def _upsert_in_tx(
    session: AsyncSession, table: Table, values: dict[str, Any], key: str
) -> None:
    await write_in_tx(session, upsert_if_newer(table, tuple(sorted(values)), (key,)), values)


async def on_member_changed(session: AsyncSession, event: CloudEvent, data: MemberState) -> None:
    # What `federa.shared.projection.keep_member_copy_in_tx` does, as a write the rebuild
    # can buffer.
    state = data.model_dump()
    values = {c.name: state[c.name] for c in members.columns if c.name in state}
    values.update(member_id=data.member_id, tenant=event.tenant, version=event.aggregateversion)
    await _upsert_in_tx(session, members, values, "member_id")


async def on_member_erased(session: AsyncSession, event: CloudEvent, data: MemberErasedV1) -> None:
    """Scrub the copy, the member's payer account name and the archived envelopes that name
    the member, so neither the log nor a rebuild brings the person back."""
    await scrub_member_copy_in_tx(session, members, event, data)
    label = f"Erased member {data.member_number}"
    await session.execute(
        update(payers).where(payers.c.owner_member_id == data.member_id).values(name=label)
    )
    await session.execute(
        _SCRUB_ARCHIVE,
        {
            "keys": sorted(SCRUBBED_FIELDS - {"name"}),
            "label": label,
            "tenant": event.tenant,
            "member": data.member_id,
        },
    )


_SCRUB_ARCHIVE = text(
    """
UPDATE event_archive SET envelope = jsonb_set(envelope, '{data}',
    CASE WHEN (envelope -> 'data') ? 'name'
         THEN jsonb_set((envelope -> 'data') - CAST(:keys AS text[]), '{name}',
                        to_jsonb(CAST(:label AS text)))
         ELSE (envelope -> 'data') - CAST(:keys AS text[]) END)
WHERE tenant = :tenant AND member_id = :member
"""
)


async def on_organisation_changed(
    session: AsyncSession, event: CloudEvent, data: OrganisationStateV1
) -> None:
    await _upsert_in_tx(
        session,
        organisations,
        {
            "organisation_id": data.organisation_id,
            "tenant": event.tenant,
            "name": data.name,
            "organisation_type": data.organisation_type,
            "parent_id": data.parent_id,
            "ancestor_ids": data.ancestor_ids,
            "version": event.aggregateversion,
        },
        "organisation_id",
    )


async def on_payer_account_changed(
    session: AsyncSession, event: CloudEvent, data: PayerAccountStateV1
) -> None:
    await _upsert_in_tx(
        session,
        payers,
        {
            "payer_account_id": data.payer_account_id,
            "tenant": event.tenant,
            "number": data.number,
            "owner_member_id": data.owner_member_id,
            "name": data.name,
            "version": event.aggregateversion,
        },
        "payer_account_id",
    )


def term_months(data: PriceCodeStateV1) -> int:
    term = data.subsequent_term
    if term.until_year_end:
        return 12
    return term.years * 12 + term.months + (1 if term.days >= 28 else 0)


async def on_price_code_changed(
    session: AsyncSession, event: CloudEvent, data: PriceCodeStateV1
) -> None:
    await _upsert_in_tx(
        session,
        price_codes,
        {
            "price_code_id": data.price_code_id,
            "tenant": event.tenant,
            "product_code": data.product_code,
            "price_code": data.price_code,
            "term_months": term_months(data),
            "version": event.aggregateversion,
        },
        "price_code_id",
    )
