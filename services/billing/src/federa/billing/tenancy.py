"""A tenant's billing settings, its reason codes and its number sequences.

A tenant is set up the first time billing hears of it (a member event or a catalogue change):
a settings row and the eight mandatory reason codes (SPEC §5 row 1), which it may then edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.setup_events import record_reason_code_in_tx
from federa.billing.domain.catalogue import STANDARD_REASON_CODES
from federa.billing.storage.tables import billing_settings, reason_codes

_NEXT_NUMBER = text(
    """
    INSERT INTO number_sequences (tenant, kind, last_number) VALUES (:tenant, :kind, 1)
    ON CONFLICT (tenant, kind) DO UPDATE SET last_number = number_sequences.last_number + 1
    RETURNING last_number
    """
)


@dataclass(frozen=True)
class BillingSettings:
    tenant: str
    currency: str
    default_product: str | None
    prerequisite_product: str | None
    default_stop_reason: str


async def ensure_tenant_in_tx(session: AsyncSession, tenant: str) -> None:
    created = await session.execute(
        insert(billing_settings).values(tenant=tenant).on_conflict_do_nothing()
    )
    if created.rowcount:  # type: ignore[attr-defined]
        seeded = await session.execute(
            insert(reason_codes)
            .values(
                [
                    {
                        "tenant": tenant,
                        "code": reason.code,
                        "action": reason.action.value,
                        "description": reason.description,
                    }
                    for reason in STANDARD_REASON_CODES
                ]
            )
            .on_conflict_do_nothing()
            .returning(reason_codes.c.code)
        )
        # Announced like codes staff add, so copies of the reason codes start complete.
        new_codes = set(seeded.scalars())
        for reason in STANDARD_REASON_CODES:
            if reason.code in new_codes:
                await record_reason_code_in_tx(session, tenant, reason, version=1)


async def settings_of(
    session: AsyncSession, tenant: str, *, for_update: bool = False
) -> BillingSettings:
    """The tenant's settings; a tenant billing has not set up yet has the defaults.

    `for_update` sets the tenant up if need be and takes its row lock: every catalogue change
    holds it, so two changes that are each valid alone can never together leave an invalid
    catalogue. Without it nothing is written, so reads stay reads.
    """
    if for_update:
        await ensure_tenant_in_tx(session, tenant)
    query = select(billing_settings).where(billing_settings.c.tenant == tenant)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        return BillingSettings(tenant, "DKK", None, None, "STOP")  # the table's defaults
    return BillingSettings(**{f: row[f] for f in BillingSettings.__dataclass_fields__})


async def next_number_in_tx(session: AsyncSession, tenant: str, kind: str) -> int:
    """The next number of a gapless per-tenant sequence; a rollback gives its number back."""
    result = await session.execute(_NEXT_NUMBER, {"tenant": tenant, "kind": kind})
    return int(result.scalar_one())
