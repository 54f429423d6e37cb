"""/v1/price-codes: price codes, their dated prices, value bands and payroll tables."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, status

from federa.billing.catalogue.codec import age_bands_to_json, calculation_kind, start_rules_to_json
from federa.billing.catalogue.price_codes import (
    PriceCodeRecord,
    create_price_code_in_tx,
    define_payroll_table_in_tx,
    define_value_bands_in_tx,
    list_price_codes,
    read_price_code,
    schedule_price_in_tx,
    update_price_code_in_tx,
)
from federa.billing.domain.calculations import PayrollTiers, ValueBands
from federa.billing.http.catalogue_schemas import (
    PayrollTableBody,
    PriceCodeCreate,
    PriceCodeRead,
    PriceCodeUpdate,
    PriceRead,
    PriceSchedule,
    TermRead,
    ValueBandsBody,
)
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/price-codes", tags=["catalogue"], route_class=BillingRoute, responses=PROBLEMS
)


def price_code_read(record: PriceCodeRecord) -> PriceCodeRead:
    code, calculation = record.code, record.code.calculation
    value_bands: dict[str, Any] | None = None
    if isinstance(calculation, ValueBands):
        value_bands = {
            "unit_value_price": calculation.unit_value_price,
            "bands": [vars(band) for band in calculation.bands],
        }
    payroll = calculation.tables if isinstance(calculation, PayrollTiers) else ()
    return PriceCodeRead.model_validate(
        {
            **record.row,
            "first_term": TermRead.of(code.first_term),
            "subsequent_term": TermRead.of(code.subsequent_term),
            "calculation": calculation_kind(calculation),
            "value_bands": value_bands,
            "payroll_tables": [
                {"from_date": table.from_date, "bands": [vars(band) for band in table.bands]}
                for table in sorted(payroll, key=lambda t: t.from_date)
            ],
            "period_start_rules": start_rules_to_json(code.period_start_rules),
            "age_bands": age_bands_to_json(code.age_bands),
            "prices": [PriceRead(from_date=p.from_date, amount=p.amount) for p in code.prices],
            "currency": record.currency,
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PriceCodeRead)
async def create_price_code(
    body: PriceCodeCreate, principal: CatalogueWriter, runtime: RuntimeDep
) -> PriceCodeRead:
    """`CreatePriceCode`; publishes `billing.price_code.created`. Schedule its prices with
    POST /v1/price-codes/{id}/prices."""
    async with runtime.db.transaction() as session:
        record = await create_price_code_in_tx(session, principal.tenant, body)
    return price_code_read(record)


@router.get("", response_model=list[PriceCodeRead])
async def list_all(
    principal: Reader, runtime: RuntimeDep, product: str | None = None
) -> list[PriceCodeRead]:
    """Price codes by product and sort order."""
    async with runtime.db.sessions() as session:
        records = await list_price_codes(session, principal.tenant, product)
    return [price_code_read(r) for r in records]


@router.get("/{price_code_id}", response_model=PriceCodeRead)
async def read(price_code_id: UUID, principal: Reader, runtime: RuntimeDep) -> PriceCodeRead:
    async with runtime.db.sessions() as session:
        record = await read_price_code(session, principal.tenant, price_code_id)
    return price_code_read(record)


@router.patch("/{price_code_id}", response_model=PriceCodeRead)
async def update(
    price_code_id: UUID, body: PriceCodeUpdate, principal: CatalogueWriter, runtime: RuntimeDep
) -> PriceCodeRead:
    """Change a price code; only the fields sent change. Publishes
    `billing.price_code.updated`."""
    async with runtime.db.transaction() as session:
        record = await update_price_code_in_tx(session, principal.tenant, price_code_id, body)
    return price_code_read(record)


@router.get("/{price_code_id}/prices", response_model=list[PriceRead])
async def prices(price_code_id: UUID, principal: Reader, runtime: RuntimeDep) -> list[PriceRead]:
    async with runtime.db.sessions() as session:
        record = await read_price_code(session, principal.tenant, price_code_id)
    return [PriceRead(from_date=p.from_date, amount=p.amount) for p in record.code.prices]


@router.post(
    "/{price_code_id}/prices", status_code=status.HTTP_201_CREATED, response_model=PriceCodeRead
)
async def schedule_price(
    price_code_id: UUID, body: PriceSchedule, principal: CatalogueWriter, runtime: RuntimeDep
) -> PriceCodeRead:
    """`SchedulePrice(from_date)`: valid from its date until the next price's (rule 15); a
    second price from the same date overlaps and is refused (422). Publishes
    `billing.price.scheduled`."""
    async with runtime.db.transaction() as session:
        record = await schedule_price_in_tx(session, principal.tenant, price_code_id, body)
    return price_code_read(record)


@router.put("/{price_code_id}/value-bands", response_model=PriceCodeRead)
async def define_value_bands(
    price_code_id: UUID, body: ValueBandsBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> PriceCodeRead:
    """`DefineValueBands`: replaces the bands and prices the code by them (rule 17)."""
    async with runtime.db.transaction() as session:
        record = await define_value_bands_in_tx(session, principal.tenant, price_code_id, body)
    return price_code_read(record)


@router.post(
    "/{price_code_id}/payroll-tables",
    status_code=status.HTTP_201_CREATED,
    response_model=PriceCodeRead,
)
async def define_payroll_table(
    price_code_id: UUID, body: PayrollTableBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> PriceCodeRead:
    """`DefinePayrollBands`: a payroll table valid from its date (rule 18). It must have the
    line with price 0 that carries the minimum dues, even a minimum of 0 (SPEC §5 row 6)."""
    async with runtime.db.transaction() as session:
        record = await define_payroll_table_in_tx(session, principal.tenant, price_code_id, body)
    return price_code_read(record)
