"""A tenant's billing setup: its defaults, reason codes and postage prices.

Each change publishes its event (`catalogue/setup_events.py`) in its own transaction; a change
that changes nothing publishes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.rows import insert_postage_price, save_reason_code, save_settings
from federa.billing.catalogue.setup_events import (
    record_postage_price_in_tx,
    record_reason_code_in_tx,
    record_settings_updated_in_tx,
)
from federa.billing.catalogue.store import Row, load_catalogue
from federa.billing.domain.catalogue import ReasonAction, ReasonCode
from federa.billing.domain.postage import PostagePrice
from federa.billing.http.catalogue_schemas import PostagePriceBody, ReasonCodeBody, SettingsBody
from federa.billing.storage.tables import postage_prices
from federa.billing.tenancy import BillingSettings, ensure_tenant_in_tx, settings_of


async def update_settings_in_tx(
    session: AsyncSession, tenant: str, request: SettingsBody
) -> BillingSettings:
    stored = await load_catalogue(session, tenant, for_update=True)
    stored.catalogue.with_settings(
        prerequisite_product=request.prerequisite_product,
        default_product=request.default_product,
        default_stop_reason=request.default_stop_reason,
    )
    settings = replace(stored.settings, **request.model_dump())
    changed = [
        f for f in type(request).model_fields if getattr(settings, f) != getattr(stored.settings, f)
    ]
    if changed:
        version = await save_settings(session, settings)
        await record_settings_updated_in_tx(session, settings, version=version, changed=changed)
    return settings


async def read_settings_in_tx(session: AsyncSession, tenant: str) -> BillingSettings:
    return await settings_of(session, tenant)


async def reason_codes_in_tx(session: AsyncSession, tenant: str) -> list[ReasonCode]:
    """The tenant's reason codes; the standard eight are there from its first use."""
    await ensure_tenant_in_tx(session, tenant)
    stored = await load_catalogue(session, tenant)
    return sorted(stored.catalogue.reason_codes.values(), key=lambda r: r.code)


async def save_reason_code_in_tx(
    session: AsyncSession, tenant: str, code: str, request: ReasonCodeBody
) -> ReasonCode:
    """Add or change a reason code. The stop options (credit, related stops, a new member
    status) belong on stop reasons only."""
    stored = await load_catalogue(session, tenant, for_update=True)
    reason = ReasonCode(
        code=code,
        action=ReasonAction(request.action),
        description=request.description,
        credit_on_stop=request.credit_on_stop,
        stop_related=request.stop_related,
        new_member_status=request.new_member_status,
    )
    revised = stored.catalogue.revised(reason_codes=[reason])
    # The default stop reason must stay a stop reason.
    revised.reason(revised.default_stop_reason, ReasonAction.STOP)
    if stored.catalogue.reason_codes.get(code) != reason:
        version = await save_reason_code(session, tenant, reason)
        await record_reason_code_in_tx(session, tenant, reason, version=version)
    return reason


async def add_postage_price_in_tx(
    session: AsyncSession, tenant: str, request: PostagePriceBody
) -> Row:
    """`DefinePostage`: dated, per country and optionally postcode (SPEC §2.2 rule 21); two
    prices for the same place from the same date overlap and are refused."""
    stored = await load_catalogue(session, tenant, for_update=True)
    price = PostagePrice(**request.model_dump())
    stored.catalogue.revised(postage=[*stored.catalogue.postage, price])
    row = await insert_postage_price(session, tenant, price)
    await record_postage_price_in_tx(
        session, tenant, row["id"], price, currency=stored.settings.currency
    )
    return row


async def postage_prices_of(session: AsyncSession, tenant: str) -> list[Row]:
    rows = await session.execute(
        select(postage_prices)
        .where(postage_prices.c.tenant == tenant)
        .order_by(
            postage_prices.c.country_code,
            postage_prices.c.postcode.nulls_first(),
            postage_prices.c.from_date,
        )
    )
    return [dict(row) for row in rows.mappings()]
