"""Reading a tenant's catalogue into the domain's `Catalogue`.

A federation's catalogue is small (tens of products and price codes), so every command loads
it whole and the domain checks it as a whole; `rows.py` then writes only the rows a change
made.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.codec import (
    PAYROLL,
    VALUE_BANDS,
    age_bands_from_json,
    lifecycle_codes_from_json,
    start_rules_from_json,
    term_from_json,
)
from federa.billing.domain.age_bands import AgeReference
from federa.billing.domain.branch_shares import BranchShare
from federa.billing.domain.calculations import (
    FixedPrice,
    PayrollBand,
    PayrollTable,
    PayrollTiers,
    PriceCalculation,
    ValueBand,
    ValueBands,
)
from federa.billing.domain.catalogue import (
    Catalogue,
    PriceCode,
    Product,
    ReasonAction,
    ReasonCode,
)
from federa.billing.domain.errors import UnknownPriceCode, UnknownProduct
from federa.billing.domain.ids import OrganisationId
from federa.billing.domain.periods import Period
from federa.billing.domain.postage import PostagePrice
from federa.billing.domain.prices import DatedPrice
from federa.billing.domain.start_dates import DefaultStartRule
from federa.billing.storage.tables import (
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
from federa.billing.tenancy import BillingSettings, settings_of

Row = dict[str, Any]


@dataclass(frozen=True)
class StoredCatalogue:
    """The tenant's catalogue, with the rows behind its products and price codes (their ids
    and versions)."""

    catalogue: Catalogue
    settings: BillingSettings
    product_rows: Mapping[str, Row]
    price_code_rows: Mapping[tuple[str, str], Row]
    # Every price code's stored payroll tables, also of codes priced otherwise for now.
    payroll_tables: Mapping[uuid.UUID, tuple[PayrollTable, ...]]

    def product_row(self, code: str) -> Row:
        try:
            return self.product_rows[code]
        except KeyError:
            raise UnknownProduct(f"no product {code!r}") from None

    def price_code_row(self, price_code_id: uuid.UUID) -> Row:
        for row in self.price_code_rows.values():
            if row["id"] == price_code_id:
                return row
        raise UnknownPriceCode(f"no price code {price_code_id}")


async def load_catalogue(
    session: AsyncSession, tenant: str, *, for_update: bool = False
) -> StoredCatalogue:
    """`for_update`: hold the tenant's catalogue lock until the transaction ends."""
    settings = await settings_of(session, tenant, for_update=for_update)
    product_rows, product_list = await _products(session, tenant)
    code_rows = await _rows(session, select(price_codes).where(price_codes.c.tenant == tenant))
    code_of = {row["id"]: (row["product"], row["code"]) for row in code_rows}
    children = _PriceCodeChildren(code_of)
    await children.load(session, tenant)
    catalogue = Catalogue.of(
        products=product_list,
        price_codes=[_price_code(row, children) for row in code_rows],
        reason_codes=[
            _reason(row)
            for row in await _rows(
                session, select(reason_codes).where(reason_codes.c.tenant == tenant)
            )
        ],
        postage=[
            _postage(row)
            for row in await _rows(
                session, select(postage_prices).where(postage_prices.c.tenant == tenant)
            )
        ],
        branch_shares=[
            BranchShare(
                product=row["product"],
                organisation=OrganisationId(row["organisation_id"]),
                organisation_name=row["organisation_name"],
                amount=row["amount"],
            )
            for row in await _rows(
                session, select(branch_shares).where(branch_shares.c.tenant == tenant)
            )
        ],
        prerequisite_product=settings.prerequisite_product,
        default_product=settings.default_product,
        default_stop_reason=settings.default_stop_reason,
    )
    return StoredCatalogue(
        catalogue=catalogue,
        settings=settings,
        product_rows={row["code"]: row for row in product_rows},
        price_code_rows={(row["product"], row["code"]): row for row in code_rows},
        payroll_tables={row["id"]: children.payroll_tables(row["id"]) for row in code_rows},
    )


async def _rows(session: AsyncSession, query: Any) -> list[Row]:
    return [dict(row) for row in (await session.execute(query)).mappings()]


class _PriceCodeChildren:
    """Dated prices, value bands and payroll bands of every price code of a tenant."""

    def __init__(self, code_of: Mapping[uuid.UUID, tuple[str, str]]) -> None:
        self._code_of = code_of
        self.prices: dict[uuid.UUID, list[DatedPrice]] = defaultdict(list)
        self.value_bands: dict[uuid.UUID, list[ValueBand]] = defaultdict(list)
        self.payroll: dict[uuid.UUID, dict[Any, list[PayrollBand]]] = defaultdict(
            lambda: defaultdict(list)
        )

    async def load(self, session: AsyncSession, tenant: str) -> None:
        ids = select(price_codes.c.id).where(price_codes.c.tenant == tenant)
        for row in await _rows(session, select(prices).where(prices.c.price_code_id.in_(ids))):
            self.prices[row["price_code_id"]].append(DatedPrice(row["from_date"], row["amount"]))
        query = (
            select(value_bands)
            .where(value_bands.c.price_code_id.in_(ids))
            .order_by(value_bands.c.position)
        )
        for row in await _rows(session, query):
            self.value_bands[row["price_code_id"]].append(
                ValueBand(max_value=row["max_value"], net_price=row["net_price"])
            )
        query = (
            select(payroll_bands)
            .where(payroll_bands.c.price_code_id.in_(ids))
            .order_by(payroll_bands.c.from_date, payroll_bands.c.min_value)
        )
        for row in await _rows(session, query):
            self.payroll[row["price_code_id"]][row["from_date"]].append(
                PayrollBand(
                    min_value=row["min_value"],
                    max_value=row["max_value"],
                    price_per_unit=Decimal(row["price_per_unit"]),
                    min_dues=row["min_dues"],
                )
            )

    def calculation(self, row: Row) -> PriceCalculation:
        code_id = row["id"]
        if row["calculation"] == VALUE_BANDS:
            return ValueBands(
                unit_value_price=Decimal(row["unit_value_price"] or 0),
                bands=tuple(self.value_bands[code_id]),
            )
        if row["calculation"] == PAYROLL:
            return PayrollTiers(tables=self.payroll_tables(code_id))
        return FixedPrice()

    def payroll_tables(self, code_id: uuid.UUID) -> tuple[PayrollTable, ...]:
        return tuple(
            PayrollTable(from_date=day, bands=tuple(bands))
            for day, bands in self.payroll[code_id].items()
        )


async def _products(session: AsyncSession, tenant: str) -> tuple[list[Row], list[Product]]:
    rows = await _rows(session, select(products).where(products.c.tenant == tenant))
    periods: dict[str, list[Period]] = defaultdict(list)
    query = (
        select(product_periods)
        .where(product_periods.c.tenant == tenant)
        .order_by(product_periods.c.start_date)
    )
    for period in await _rows(session, query):
        periods[period["product"]].append(Period(period["start_date"], period["end_date"]))
    related: dict[str, list[str]] = defaultdict(list)
    query = (
        select(related_stops)
        .where(related_stops.c.tenant == tenant)
        .order_by(related_stops.c.related_product)
    )
    for stop in await _rows(session, query):
        related[stop["product"]].append(stop["related_product"])
    return rows, [
        Product(
            code=row["code"],
            description=row["description"],
            default_price_code=row["default_price_code"],
            default_start_rule=DefaultStartRule(row["default_start_rule"]),
            period_start_rules=start_rules_from_json(row["period_start_rules"]),
            periods=tuple(periods[row["code"]]),
            collects_gift=row["collects_gift"],
            charges_postage=row["charges_postage"],
            related_stops=tuple(related[row["code"]]),
            default_billed_qty=row["default_billed_qty"],
            default_delivered_qty=row["default_delivered_qty"],
            default_persons=row["default_persons"],
            lifecycle_codes=lifecycle_codes_from_json(row["lifecycle_codes"]),
        )
        for row in rows
    ]


def _price_code(row: Row, children: _PriceCodeChildren) -> PriceCode:
    return PriceCode(
        product=row["product"],
        code=row["code"],
        description=row["description"],
        first_term=term_from_json(row["first_term"]),
        subsequent_term=term_from_json(row["subsequent_term"]),
        external_description=row["external_description"],
        prices=tuple(sorted(children.prices[row["id"]], key=lambda p: p.from_date)),
        calculation=children.calculation(row),
        free=row["free"],
        first_period_discount_pct=Decimal(row["first_period_discount_pct"]),
        billed_qty=row["billed_qty"],
        delivered_qty=row["delivered_qty"],
        persons=row["persons"],
        period_start_rules=start_rules_from_json(row["period_start_rules"]),
        age_bands=age_bands_from_json(row["age_bands"]),
        age_reference=AgeReference(row["age_reference"]),
        recalculate_start_on_payment=row["recalculate_start_on_payment"],
        sort_order=row["sort_order"],
    )


def _reason(row: Row) -> ReasonCode:
    return ReasonCode(
        code=row["code"],
        action=ReasonAction(row["action"]),
        description=row["description"],
        credit_on_stop=row["credit_on_stop"],
        stop_related=row["stop_related"],
        new_member_status=row["new_member_status"],
    )


def _postage(row: Row) -> PostagePrice:
    return PostagePrice(
        country_code=row["country_code"],
        postcode=row["postcode"],
        from_date=row["from_date"],
        description=row["description"],
        amount=row["amount"],
    )
