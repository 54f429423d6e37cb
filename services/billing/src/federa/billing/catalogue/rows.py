"""Writing the catalogue's rows, once the domain has accepted the revised catalogue."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.codec import (
    age_bands_to_json,
    calculation_kind,
    lifecycle_codes_to_json,
    start_rules_to_json,
    term_to_json,
)
from federa.billing.catalogue.store import Row
from federa.billing.domain.branch_shares import BranchShare
from federa.billing.domain.calculations import PayrollTable, ValueBand, ValueBands
from federa.billing.domain.catalogue import PriceCode, Product, ReasonCode
from federa.billing.domain.periods import Period
from federa.billing.domain.postage import PostagePrice
from federa.billing.domain.prices import DatedPrice
from federa.billing.storage.tables import (
    billing_settings,
    branch_shares,
    payroll_bands,
    postage_prices,
    price_codes,
    prices,
    product_periods,
    products,
    reason_codes,
    related_stops,
    value_bands,
)
from federa.billing.tenancy import BillingSettings


def now() -> datetime:
    return datetime.now(UTC)


def product_values(product: Product) -> Row:
    return {
        "description": product.description,
        "default_price_code": product.default_price_code,
        "default_start_rule": product.default_start_rule.value,
        "period_start_rules": start_rules_to_json(product.period_start_rules),
        "collects_gift": product.collects_gift,
        "charges_postage": product.charges_postage,
        "default_billed_qty": product.default_billed_qty,
        "default_delivered_qty": product.default_delivered_qty,
        "default_persons": product.default_persons,
        "lifecycle_codes": lifecycle_codes_to_json(product.lifecycle_codes),
    }


def price_code_values(code: PriceCode) -> Row:
    calculation = code.calculation
    return {
        "description": code.description,
        "external_description": code.external_description,
        "free": code.free,
        "first_term": term_to_json(code.first_term),
        "subsequent_term": term_to_json(code.subsequent_term),
        "first_period_discount_pct": code.first_period_discount_pct,
        "calculation": calculation_kind(calculation),
        "unit_value_price": (
            calculation.unit_value_price if isinstance(calculation, ValueBands) else None
        ),
        "billed_qty": code.billed_qty,
        "delivered_qty": code.delivered_qty,
        "persons": code.persons,
        "period_start_rules": start_rules_to_json(code.period_start_rules),
        "age_bands": age_bands_to_json(code.age_bands),
        "age_reference": code.age_reference.value,
        "recalculate_start_on_payment": code.recalculate_start_on_payment,
        "sort_order": code.sort_order,
    }


async def insert_product(session: AsyncSession, tenant: str, product: Product, **extra: Any) -> Row:
    stamp = now()
    row = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "code": product.code,
        **product_values(product),
        **extra,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    await session.execute(insert(products).values(**row))
    return row


async def save_product_version(
    session: AsyncSession, row: Row, product: Product, **extra: Any
) -> Row:
    """Store the product's new state as the row's next version; returns the new row."""
    values = {**product_values(product), **extra, "version": row["version"] + 1}
    values["updated_at"] = now()
    await session.execute(update(products).where(products.c.id == row["id"]).values(**values))
    return {**row, **values}


async def insert_price_code(session: AsyncSession, tenant: str, code: PriceCode) -> Row:
    stamp = now()
    row = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "product": code.product,
        "code": code.code,
        **price_code_values(code),
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    await session.execute(insert(price_codes).values(**row))
    for price in code.prices:
        await insert_price(session, row["id"], price)
    if isinstance(code.calculation, ValueBands):
        await replace_value_bands(session, row["id"], code.calculation.bands)
    return row


async def save_price_code_version(session: AsyncSession, row: Row, code: PriceCode) -> Row:
    values = {**price_code_values(code), "version": row["version"] + 1, "updated_at": now()}
    await session.execute(update(price_codes).where(price_codes.c.id == row["id"]).values(**values))
    return {**row, **values}


async def insert_price(session: AsyncSession, price_code_id: uuid.UUID, price: DatedPrice) -> None:
    await session.execute(
        insert(prices).values(
            price_code_id=price_code_id, from_date=price.from_date, amount=price.amount
        )
    )


async def replace_value_bands(
    session: AsyncSession, price_code_id: uuid.UUID, bands: Iterable[ValueBand]
) -> None:
    await session.execute(delete(value_bands).where(value_bands.c.price_code_id == price_code_id))
    rows = [
        {
            "price_code_id": price_code_id,
            "position": position,
            "max_value": band.max_value,
            "net_price": band.net_price,
        }
        for position, band in enumerate(bands)
    ]
    if rows:
        await session.execute(insert(value_bands).values(rows))


async def insert_payroll_table(
    session: AsyncSession, price_code_id: uuid.UUID, table: PayrollTable
) -> None:
    await session.execute(
        insert(payroll_bands).values(
            [
                {
                    "price_code_id": price_code_id,
                    "from_date": table.from_date,
                    "min_value": band.min_value,
                    "max_value": band.max_value,
                    "price_per_unit": band.price_per_unit,
                    "min_dues": band.min_dues,
                }
                for band in table.bands
            ]
        )
    )


async def insert_product_periods(
    session: AsyncSession, tenant: str, product: str, periods: Iterable[Period]
) -> None:
    rows = [
        {"tenant": tenant, "product": product, "start_date": p.start, "end_date": p.end}
        for p in periods
    ]
    await session.execute(insert(product_periods).values(rows))


async def replace_related_stops(
    session: AsyncSession, tenant: str, product: str, related: Iterable[str]
) -> None:
    await session.execute(
        delete(related_stops).where(
            related_stops.c.tenant == tenant, related_stops.c.product == product
        )
    )
    rows = [{"tenant": tenant, "product": product, "related_product": r} for r in related]
    if rows:
        await session.execute(insert(related_stops).values(rows))


async def replace_branch_shares(
    session: AsyncSession, tenant: str, product: str, shares: Iterable[BranchShare]
) -> None:
    await session.execute(
        delete(branch_shares).where(
            branch_shares.c.tenant == tenant, branch_shares.c.product == product
        )
    )
    rows = [
        {
            "tenant": tenant,
            "product": product,
            "organisation_id": share.organisation,
            "organisation_name": share.organisation_name,
            "amount": share.amount,
        }
        for share in shares
    ]
    if rows:
        await session.execute(insert(branch_shares).values(rows))


async def insert_postage_price(session: AsyncSession, tenant: str, price: PostagePrice) -> Row:
    row = {
        "id": uuid.uuid4(),
        "tenant": tenant,
        "country_code": price.country_code,
        "postcode": price.postcode,
        "from_date": price.from_date,
        "description": price.description,
        "amount": price.amount,
    }
    await session.execute(insert(postage_prices).values(**row))
    return row


async def save_reason_code(session: AsyncSession, tenant: str, reason: ReasonCode) -> int:
    """Insert or change the code; its version after the change."""
    values: dict[str, Any] = {
        "action": reason.action.value,
        "description": reason.description,
        "credit_on_stop": reason.credit_on_stop,
        "stop_related": reason.stop_related,
        "new_member_status": reason.new_member_status,
    }
    statement = pg_insert(reason_codes).values(tenant=tenant, code=reason.code, **values)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant", "code"],
            set_={**values, "version": reason_codes.c.version + 1},
        ).returning(reason_codes.c.version)
    )
    return int(result.scalar_one())


async def save_settings(session: AsyncSession, settings: BillingSettings) -> int:
    """Store the settings; their version after the change."""
    result = await session.execute(
        update(billing_settings)
        .where(billing_settings.c.tenant == settings.tenant)
        .values(
            currency=settings.currency,
            default_product=settings.default_product,
            prerequisite_product=settings.prerequisite_product,
            default_stop_reason=settings.default_stop_reason,
            updated_at=now(),
            version=billing_settings.c.version + 1,
        )
        .returning(billing_settings.c.version)
    )
    return int(result.scalar_one())
