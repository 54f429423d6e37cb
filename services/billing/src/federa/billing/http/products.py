"""/v1/products: the catalogue's products, their calendar, related stops and branch shares."""

from __future__ import annotations

from fastapi import APIRouter, status

from federa.billing.catalogue.codec import lifecycle_codes_to_json, start_rules_to_json
from federa.billing.catalogue.products import (
    ProductRecord,
    create_product_in_tx,
    generate_periods_in_tx,
    list_products,
    read_product,
    set_branch_shares_in_tx,
    set_related_stops_in_tx,
    update_product_in_tx,
)
from federa.billing.http.catalogue_schemas import (
    BranchShareBody,
    BranchShareRead,
    PeriodRead,
    PeriodsGenerate,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    RelatedStops,
)
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1/products", tags=["catalogue"], route_class=BillingRoute, responses=PROBLEMS
)


def product_read(record: ProductRecord) -> ProductRead:
    product, row = record.product, record.row
    periods = product.periods
    return ProductRead.model_validate(
        {
            **row,
            "default_start_rule": product.default_start_rule.value,
            "period_start_rules": start_rules_to_json(product.period_start_rules),
            "lifecycle_codes": lifecycle_codes_to_json(product.lifecycle_codes),
            "related_stops": list(product.related_stops),
            "periods_from": min((p.start for p in periods), default=None),
            "periods_through": max((p.end for p in periods), default=None),
            "branch_shares": [
                BranchShareRead(
                    organisation_id=share.organisation,
                    organisation_name=share.organisation_name,
                    amount=share.amount,
                )
                for share in record.catalogue.branch_shares
                if share.product == product.code
            ],
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProductRead)
async def create_product(
    body: ProductCreate, principal: CatalogueWriter, runtime: RuntimeDep
) -> ProductRead:
    """`CreateProduct`; publishes `billing.product.created`."""
    async with runtime.db.transaction() as session:
        record = await create_product_in_tx(session, principal.tenant, body)
    return product_read(record)


@router.get("", response_model=list[ProductRead])
async def list_all(principal: Reader, runtime: RuntimeDep) -> list[ProductRead]:
    async with runtime.db.sessions() as session:
        records = await list_products(session, principal.tenant)
    return [product_read(r) for r in records]


@router.get("/{code}", response_model=ProductRead)
async def read(code: str, principal: Reader, runtime: RuntimeDep) -> ProductRead:
    async with runtime.db.sessions() as session:
        record = await read_product(session, principal.tenant, code)
    return product_read(record)


@router.patch("/{code}", response_model=ProductRead)
async def update(
    code: str, body: ProductUpdate, principal: CatalogueWriter, runtime: RuntimeDep
) -> ProductRead:
    """Change a product; only the fields sent change. Publishes `billing.product.updated`."""
    async with runtime.db.transaction() as session:
        record = await update_product_in_tx(session, principal.tenant, code, body)
    return product_read(record)


@router.get("/{code}/periods", response_model=list[PeriodRead])
async def periods(code: str, principal: Reader, runtime: RuntimeDep) -> list[PeriodRead]:
    async with runtime.db.sessions() as session:
        record = await read_product(session, principal.tenant, code)
    return [PeriodRead(start=p.start, end=p.end) for p in record.product.periods]


@router.post("/{code}/periods:generate", response_model=ProductRead)
async def generate_periods(
    code: str, body: PeriodsGenerate, principal: CatalogueWriter, runtime: RuntimeDep
) -> ProductRead:
    """`GeneratePeriods(start, count, length)`: adds periods to the product's calendar; a
    batch that overlaps the calendar is refused."""
    async with runtime.db.transaction() as session:
        record = await generate_periods_in_tx(session, principal.tenant, code, body)
    return product_read(record)


@router.put("/{code}/related-stops", response_model=ProductRead)
async def set_related_stops(
    code: str, body: RelatedStops, principal: CatalogueWriter, runtime: RuntimeDep
) -> ProductRead:
    """`SetRelatedStops`: products stopped together with this one (replaces the list)."""
    async with runtime.db.transaction() as session:
        record = await set_related_stops_in_tx(session, principal.tenant, code, body.products)
    return product_read(record)


@router.put("/{code}/branch-shares", response_model=ProductRead)
async def set_branch_shares(
    code: str, body: list[BranchShareBody], principal: CatalogueWriter, runtime: RuntimeDep
) -> ProductRead:
    """`DefineSettlementAmounts`: the fixed amount per organisation forwarded to it for each
    billed subscription (replaces the product's shares)."""
    async with runtime.db.transaction() as session:
        record = await set_branch_shares_in_tx(session, principal.tenant, code, body)
    return product_read(record)
