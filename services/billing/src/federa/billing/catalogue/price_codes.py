"""Price codes: create and change them, schedule dated prices, define value bands and payroll
tables (SPEC §2.2 *Price code*, *Dated price*, *Value band*, *Payroll band*).

As with products, the domain checks the revised catalogue before a row is written, the price
code's version goes up and its event goes into the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.codec import PAYROLL, VALUE_BANDS, calculation_kind
from federa.billing.catalogue.events import (
    record_price_code_event_in_tx,
    record_price_scheduled_in_tx,
)
from federa.billing.catalogue.rows import (
    insert_payroll_table,
    insert_price,
    insert_price_code,
    replace_value_bands,
    save_price_code_version,
)
from federa.billing.catalogue.store import Row, StoredCatalogue, load_catalogue
from federa.billing.domain.age_bands import AgeBand, AgeReference
from federa.billing.domain.calculations import (
    FixedPrice,
    PayrollBand,
    PayrollTable,
    PayrollTiers,
    PriceCalculation,
    ValueBand,
    ValueBands,
)
from federa.billing.domain.catalogue import PriceCode
from federa.billing.domain.errors import InvalidCatalogue
from federa.billing.domain.prices import DatedPrice, schedule_price
from federa.billing.domain.start_dates import PeriodStartRule
from federa.billing.http.catalogue_schemas import (
    AgeBandBody,
    PayrollTableBody,
    PeriodStartRuleBody,
    PriceCodeCreate,
    PriceCodeUpdate,
    PriceSchedule,
    ValueBandsBody,
    term_from,
)
from federa.shared.http.problems import Problem


@dataclass(frozen=True)
class PriceCodeRecord:
    row: Row
    code: PriceCode
    currency: str


def _record(stored: StoredCatalogue, row: Row) -> PriceCodeRecord:
    code = stored.catalogue.price_code(row["product"], row["code"])
    return PriceCodeRecord(row, code, stored.settings.currency)


async def read_price_code(
    session: AsyncSession, tenant: str, price_code_id: uuid.UUID
) -> PriceCodeRecord:
    stored = await load_catalogue(session, tenant)
    return _record(stored, stored.price_code_row(price_code_id))


async def list_price_codes(
    session: AsyncSession, tenant: str, product: str | None
) -> list[PriceCodeRecord]:
    stored = await load_catalogue(session, tenant)
    rows = [r for r in stored.price_code_rows.values() if product in (None, r["product"])]
    rows.sort(key=lambda r: (r["product"], r["sort_order"], r["code"]))
    return [_record(stored, row) for row in rows]


def _start_rules(bodies: list[PeriodStartRuleBody]) -> tuple[PeriodStartRule, ...]:
    return tuple(PeriodStartRule(**body.model_dump()) for body in bodies)


def _age_bands(bodies: list[AgeBandBody]) -> tuple[AgeBand, ...]:
    return tuple(AgeBand(up_to_age=b.up_to_age, price_code=b.price_code) for b in bodies)


def _value_bands(body: ValueBandsBody) -> ValueBands:
    return ValueBands(
        unit_value_price=body.unit_value_price,
        bands=tuple(ValueBand(max_value=b.max_value, net_price=b.net_price) for b in body.bands),
    )


def _calculation(kind: str, value_bands: ValueBandsBody | None) -> PriceCalculation:
    if kind == VALUE_BANDS:
        if value_bands is None:
            raise InvalidCatalogue("a price code priced by value bands needs its value bands")
        return _value_bands(value_bands)
    if kind == PAYROLL:
        return PayrollTiers(tables=())
    return FixedPrice()


async def create_price_code_in_tx(
    session: AsyncSession, tenant: str, request: PriceCodeCreate
) -> PriceCodeRecord:
    stored = await load_catalogue(session, tenant, for_update=True)
    if (request.product, request.code) in stored.price_code_rows:
        raise Problem(
            409,
            "price-code-exists",
            "Price code exists",
            f"Product {request.product} has a price code {request.code!r} already.",
        )
    code = PriceCode(
        product=request.product,
        code=request.code,
        description=request.description,
        first_term=term_from(request.first_term),
        subsequent_term=term_from(request.subsequent_term),
        external_description=request.external_description,
        calculation=_calculation(request.calculation, request.value_bands),
        free=request.free,
        first_period_discount_pct=request.first_period_discount_pct,
        billed_qty=request.billed_qty,
        delivered_qty=request.delivered_qty,
        persons=request.persons,
        period_start_rules=_start_rules(request.period_start_rules),
        age_bands=_age_bands(request.age_bands),
        age_reference=AgeReference(request.age_reference),
        recalculate_start_on_payment=request.recalculate_start_on_payment,
        sort_order=request.sort_order,
    )
    stored.catalogue.revised(price_codes=[code])
    row = await insert_price_code(session, tenant, code)
    await record_price_code_event_in_tx(session, row, code)
    return PriceCodeRecord(row, code, stored.settings.currency)


async def _save(
    session: AsyncSession,
    stored: StoredCatalogue,
    row: Row,
    code: PriceCode,
    changed: list[str],
) -> PriceCodeRecord:
    """Check the revised catalogue, then a new version and `price_code.updated` (nothing at
    all when nothing changed)."""
    stored.catalogue.revised(price_codes=[code])
    if changed:
        row = await save_price_code_version(session, row, code)
        await record_price_code_event_in_tx(session, row, code, changed_fields=changed)
    return PriceCodeRecord(row, code, stored.settings.currency)


def _changes(stored: StoredCatalogue, row: Row, request: PriceCodeUpdate) -> dict[str, Any]:
    sent = request.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for field, value in sent.items():
        if value is None and field not in NULLABLE:
            continue  # an explicit null for a field that cannot be empty changes nothing
        if field in ("first_term", "subsequent_term"):
            value = term_from(getattr(request, field))
        elif field == "period_start_rules":
            value = _start_rules(request.period_start_rules or [])
        elif field == "age_bands":
            value = _age_bands(request.age_bands or [])
        elif field == "age_reference":
            value = AgeReference(value)
        elif field == "calculation":
            value = _switched_calculation(stored, row, value)
        changes[field] = value
    return changes


NULLABLE = frozenset({"billed_qty", "delivered_qty", "persons"})


def _switched_calculation(stored: StoredCatalogue, row: Row, kind: str) -> PriceCalculation:
    current = stored.catalogue.price_code(row["product"], row["code"]).calculation
    if kind == row["calculation"]:
        return current
    if kind == VALUE_BANDS:
        raise InvalidCatalogue(
            "define the value bands with PUT /v1/price-codes/{id}/value-bands; that makes the "
            "code priced by value bands"
        )
    if kind == PAYROLL:
        return PayrollTiers(tables=stored.payroll_tables.get(row["id"], ()))
    return FixedPrice()


async def update_price_code_in_tx(
    session: AsyncSession, tenant: str, price_code_id: uuid.UUID, request: PriceCodeUpdate
) -> PriceCodeRecord:
    stored = await load_catalogue(session, tenant, for_update=True)
    row = stored.price_code_row(price_code_id)
    code = stored.catalogue.price_code(row["product"], row["code"])
    changes = _changes(stored, row, request)
    new = replace(code, **changes)
    changed = [f for f in changes if getattr(new, f) != getattr(code, f)]
    return await _save(session, stored, row, new, changed)


async def schedule_price_in_tx(
    session: AsyncSession, tenant: str, price_code_id: uuid.UUID, request: PriceSchedule
) -> PriceCodeRecord:
    """`SchedulePrice`: a second price from the same date overlaps the first and is refused."""
    stored = await load_catalogue(session, tenant, for_update=True)
    row = stored.price_code_row(price_code_id)
    code = stored.catalogue.price_code(row["product"], row["code"])
    price = DatedPrice(request.from_date, request.amount)
    new = replace(code, prices=schedule_price(code.prices, price))
    stored.catalogue.revised(price_codes=[new])
    await insert_price(session, row["id"], price)
    row = await save_price_code_version(session, row, new)
    await record_price_scheduled_in_tx(session, row, price, stored.settings.currency)
    return PriceCodeRecord(row, new, stored.settings.currency)


async def define_value_bands_in_tx(
    session: AsyncSession, tenant: str, price_code_id: uuid.UUID, request: ValueBandsBody
) -> PriceCodeRecord:
    """`DefineValueBands`: replaces the code's bands and prices it by them (rule 17)."""
    stored = await load_catalogue(session, tenant, for_update=True)
    row = stored.price_code_row(price_code_id)
    code = stored.catalogue.price_code(row["product"], row["code"])
    bands = _value_bands(request)
    record = await _save(session, stored, row, replace(code, calculation=bands), ["value_bands"])
    await replace_value_bands(session, row["id"], bands.bands)
    return record


async def define_payroll_table_in_tx(
    session: AsyncSession, tenant: str, price_code_id: uuid.UUID, request: PayrollTableBody
) -> PriceCodeRecord:
    """`DefinePayrollBands`: a payroll table valid from its date (rule 18).

    The line with price 0 carrying the minimum dues must exist (SPEC §5 row 6); the domain
    would only find out at billing, so the table is refused here, when staff can fix it.
    """
    stored = await load_catalogue(session, tenant, for_update=True)
    row = stored.price_code_row(price_code_id)
    code = stored.catalogue.price_code(row["product"], row["code"])
    if not isinstance(code.calculation, PayrollTiers):
        raise Problem(
            409,
            "not-priced-by-payroll",
            "Refused in the current state",
            f"Price code {code.code} is priced {calculation_kind(code.calculation)}; set its "
            "calculation to payroll first.",
        )
    table = PayrollTable(
        from_date=request.from_date,
        bands=tuple(PayrollBand(**band.model_dump()) for band in request.bands),
    )
    table.minimum_dues()
    tiers = PayrollTiers(tables=(*code.calculation.tables, table))
    record = await _save(session, stored, row, replace(code, calculation=tiers), ["payroll_tables"])
    await insert_payroll_table(session, row["id"], table)
    return record
