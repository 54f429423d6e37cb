"""Events of a tenant's billing setup: settings, reason codes and postage prices. Other
services keep copies (statistics groups stops by reason code, communications prints postage),
so each change is published through the outbox in the transaction that makes it.

Subjects: the tenant for its settings, the code for a reason code (unique in its tenant), the
postage price's id for a postage price (immutable once scheduled, so always version 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.catalogue import ReasonCode
from federa.billing.domain.postage import PostagePrice
from federa.shared.contracts.billing import (
    POSTAGE_PRICE_SCHEDULED,
    REASON_CODE_CREATED,
    REASON_CODE_UPDATED,
    SETTINGS_UPDATED,
    BillingSettingsUpdatedV1,
    PostagePriceScheduledV1,
    ReasonCodeStateV1,
)
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx

if TYPE_CHECKING:
    import uuid

    from federa.billing.tenancy import BillingSettings


async def record_settings_updated_in_tx(
    session: AsyncSession, settings: BillingSettings, *, version: int, changed: Sequence[str]
) -> None:
    data = BillingSettingsUpdatedV1(
        currency=settings.currency,
        default_product=settings.default_product,
        prerequisite_product=settings.prerequisite_product,
        default_stop_reason=settings.default_stop_reason,
        changed_fields=sorted(changed),
    )
    await record_event_in_tx(
        session,
        new_event(
            SETTINGS_UPDATED,
            data,
            subject=settings.tenant,
            tenant=settings.tenant,
            aggregate_version=version,
        ),
    )


async def record_reason_code_in_tx(
    session: AsyncSession, tenant: str, reason: ReasonCode, *, version: int
) -> None:
    """`reason_code.created` for version 1, `reason_code.updated` after."""
    data = ReasonCodeStateV1(
        code=reason.code,
        action=reason.action.value,
        description=reason.description,
        credit_on_stop=reason.credit_on_stop,
        stop_related=reason.stop_related,
        new_member_status=reason.new_member_status,
    )
    spec = REASON_CODE_CREATED if version == 1 else REASON_CODE_UPDATED
    await record_event_in_tx(
        session,
        new_event(spec, data, subject=reason.code, tenant=tenant, aggregate_version=version),
    )


async def record_postage_price_in_tx(
    session: AsyncSession,
    tenant: str,
    price_id: uuid.UUID,
    price: PostagePrice,
    *,
    currency: str,
) -> None:
    data = PostagePriceScheduledV1(
        postage_price_id=price_id,
        country_code=price.country_code,
        postcode=price.postcode,
        from_date=price.from_date,
        description=price.description,
        amount=price.amount,
        currency=currency,
    )
    await record_event_in_tx(
        session,
        new_event(
            POSTAGE_PRICE_SCHEDULED,
            data,
            subject=str(price_id),
            tenant=tenant,
            aggregate_version=1,
        ),
    )
