"""The catalogue's published events: the one place catalogue rows become contracts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.codec import calculation_kind, term_to_json
from federa.billing.catalogue.store import Row
from federa.billing.domain.catalogue import Catalogue, PriceCode, Product
from federa.billing.domain.prices import DatedPrice
from federa.shared.contracts.billing import (
    PRICE_CODE_CREATED,
    PRICE_CODE_UPDATED,
    PRICE_SCHEDULED,
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
    BillingTermV1,
    BranchShareV1,
    PriceCodeStateV1,
    PriceCodeUpdatedV1,
    PriceScheduledV1,
    ProductStateV1,
    ProductUpdatedV1,
)
from federa.shared.contracts.registry import EventData, EventSpec
from federa.shared.envelope import new_event
from federa.shared.messaging.outbox import record_event_in_tx


def _product_state(row: Row, product: Product, catalogue: Catalogue) -> dict[str, Any]:
    periods = product.periods
    return {
        "product_id": row["id"],
        "product_code": product.code,
        "description": product.description,
        "description_2": row.get("description_2"),
        "default_price_code": product.default_price_code,
        "default_start_rule": product.default_start_rule.value,
        "collects_gift": product.collects_gift,
        "charges_postage": product.charges_postage,
        "default_billed_qty": product.default_billed_qty,
        "default_delivered_qty": product.default_delivered_qty,
        "default_persons": product.default_persons,
        "related_stops": list(product.related_stops),
        "periods_from": min((p.start for p in periods), default=None),
        "periods_through": max((p.end for p in periods), default=None),
        "branch_shares": [
            BranchShareV1(organisation_id=share.organisation, amount=share.amount)
            for share in catalogue.branch_shares
            if share.product == product.code
        ],
    }


async def record_product_event_in_tx(
    session: AsyncSession,
    row: Row,
    catalogue: Catalogue,
    *,
    changed_fields: Sequence[str] | None = None,
) -> None:
    """`product.created` for a new product (no `changed_fields`), else `product.updated`."""
    state = _product_state(row, catalogue.product(row["code"]), catalogue)
    spec: EventSpec[Any]
    data: EventData
    if changed_fields is None:
        spec, data = PRODUCT_CREATED, ProductStateV1(**state)
    else:
        spec = PRODUCT_UPDATED
        data = ProductUpdatedV1(**state, changed_fields=sorted(changed_fields))
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(row["id"]),
            tenant=row["tenant"],
            aggregate_version=row["version"],
        ),
    )


def _price_code_state(row: Row, code: PriceCode) -> dict[str, Any]:
    return {
        "price_code_id": row["id"],
        "product_code": code.product,
        "price_code": code.code,
        "description": code.description,
        "external_description": code.external_description,
        "free": code.free,
        "first_term": BillingTermV1(**term_to_json(code.first_term)),
        "subsequent_term": BillingTermV1(**term_to_json(code.subsequent_term)),
        "first_period_discount_pct": code.first_period_discount_pct,
        "calculation": calculation_kind(code.calculation),
        "age_band_price_codes": [band.price_code for band in code.age_bands],
        "sort_order": code.sort_order,
    }


async def record_price_code_event_in_tx(
    session: AsyncSession,
    row: Row,
    code: PriceCode,
    *,
    changed_fields: Sequence[str] | None = None,
) -> None:
    """`price_code.created` for a new code (no `changed_fields`), else `price_code.updated`."""
    state = _price_code_state(row, code)
    spec: EventSpec[Any]
    data: EventData
    if changed_fields is None:
        spec, data = PRICE_CODE_CREATED, PriceCodeStateV1(**state)
    else:
        spec = PRICE_CODE_UPDATED
        data = PriceCodeUpdatedV1(**state, changed_fields=sorted(changed_fields))
    await record_event_in_tx(
        session,
        new_event(
            spec,
            data,
            subject=str(row["id"]),
            tenant=row["tenant"],
            aggregate_version=row["version"],
        ),
    )


async def record_price_scheduled_in_tx(
    session: AsyncSession, row: Row, price: DatedPrice, currency: str
) -> None:
    """The price belongs to the price code's aggregate: its subject and version."""
    data = PriceScheduledV1(
        price_code_id=row["id"],
        product_code=row["product"],
        price_code=row["code"],
        from_date=price.from_date,
        amount=price.amount,
        currency=currency,
    )
    await record_event_in_tx(
        session,
        new_event(
            PRICE_SCHEDULED,
            data,
            subject=str(row["id"]),
            tenant=row["tenant"],
            aggregate_version=row["version"],
        ),
    )
