"""Products: create and change them, their calendar, related stops and branch shares.

Every change loads the tenant's catalogue under its lock, makes the new product, and lets the
domain check the revised catalogue as a whole before a row is written; then the product's
version goes up and `product.created|updated` goes into the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.catalogue.events import record_product_event_in_tx
from federa.billing.catalogue.rows import (
    insert_product,
    insert_product_periods,
    replace_branch_shares,
    replace_related_stops,
    save_product_version,
)
from federa.billing.catalogue.store import Row, StoredCatalogue, load_catalogue
from federa.billing.domain.branch_shares import BranchShare
from federa.billing.domain.catalogue import Catalogue, LifecycleCodes, Product
from federa.billing.domain.errors import InvalidCatalogue
from federa.billing.domain.ids import OrganisationId
from federa.billing.domain.product_periods import generate_periods
from federa.billing.domain.start_dates import DefaultStartRule, PeriodStartRule
from federa.billing.http.catalogue_schemas import (
    BranchShareBody,
    PeriodsGenerate,
    PeriodStartRuleBody,
    ProductCreate,
    ProductUpdate,
    term_from,
)
from federa.billing.storage.tables import organisations
from federa.shared.http.problems import Problem


@dataclass(frozen=True)
class ProductRecord:
    row: Row
    product: Product
    catalogue: Catalogue


def _record(stored: StoredCatalogue, code: str) -> ProductRecord:
    return ProductRecord(stored.product_row(code), stored.catalogue.product(code), stored.catalogue)


async def read_product(session: AsyncSession, tenant: str, code: str) -> ProductRecord:
    return _record(await load_catalogue(session, tenant), code)


async def list_products(session: AsyncSession, tenant: str) -> list[ProductRecord]:
    stored = await load_catalogue(session, tenant)
    return [_record(stored, code) for code in sorted(stored.product_rows)]


NULLABLE = frozenset({"default_price_code", "description_2"})


def _start_rules(bodies: list[PeriodStartRuleBody]) -> tuple[PeriodStartRule, ...]:
    return tuple(PeriodStartRule(**body.model_dump()) for body in bodies)


async def create_product_in_tx(
    session: AsyncSession, tenant: str, request: ProductCreate
) -> ProductRecord:
    stored = await load_catalogue(session, tenant, for_update=True)
    if request.code in stored.product_rows:
        raise Problem(
            409, "product-exists", "Product exists", f"Product {request.code!r} exists already."
        )
    product = Product(
        code=request.code,
        description=request.description,
        default_start_rule=DefaultStartRule(request.default_start_rule),
        period_start_rules=_start_rules(request.period_start_rules),
        collects_gift=request.collects_gift,
        charges_postage=request.charges_postage,
        default_billed_qty=request.default_billed_qty,
        default_delivered_qty=request.default_delivered_qty,
        default_persons=request.default_persons,
        lifecycle_codes=LifecycleCodes(**request.lifecycle_codes.model_dump()),
    )
    catalogue = stored.catalogue.revised(products=[product])
    row = await insert_product(session, tenant, product, description_2=request.description_2)
    await record_product_event_in_tx(session, row, catalogue)
    return ProductRecord(row, product, catalogue)


async def _save(
    session: AsyncSession,
    row: Row,
    product: Product,
    catalogue: Catalogue,
    changed: list[str],
    **extra: Any,
) -> ProductRecord:
    """A new version and `product.updated`, or nothing at all when nothing changed."""
    if not changed:
        return ProductRecord(row, product, catalogue)
    row = await save_product_version(session, row, product, **extra)
    await record_product_event_in_tx(session, row, catalogue, changed_fields=changed)
    return ProductRecord(row, product, catalogue)


async def update_product_in_tx(
    session: AsyncSession, tenant: str, code: str, request: ProductUpdate
) -> ProductRecord:
    stored = await load_catalogue(session, tenant, for_update=True)
    row, product = stored.product_row(code), stored.catalogue.product(code)
    sent = request.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for field, value in sent.items():
        if value is None and field not in NULLABLE:
            continue  # an explicit null for a field that cannot be empty changes nothing
        if field == "default_start_rule":
            value = DefaultStartRule(value)
        elif field == "period_start_rules":
            value = _start_rules(request.period_start_rules or [])
        elif field == "lifecycle_codes":
            value = LifecycleCodes(**value)
        if field != "description_2":
            changes[field] = value
    new = replace(product, **changes)
    catalogue = stored.catalogue.revised(products=[new])
    changed = [f for f in changes if getattr(new, f) != getattr(product, f)]
    extra = {}
    if "description_2" in sent and sent["description_2"] != row["description_2"]:
        changed.append("description_2")
        extra["description_2"] = sent["description_2"]
    return await _save(session, row, new, catalogue, changed, **extra)


async def generate_periods_in_tx(
    session: AsyncSession, tenant: str, code: str, request: PeriodsGenerate
) -> ProductRecord:
    """Periods are added to the product's calendar; a batch overlapping it is refused."""
    stored = await load_catalogue(session, tenant, for_update=True)
    row, product = stored.product_row(code), stored.catalogue.product(code)
    periods = generate_periods(request.start, request.count, term_from(request.length))
    new = replace(product, periods=(*product.periods, *periods))
    catalogue = stored.catalogue.revised(products=[new])
    await insert_product_periods(session, tenant, code, periods)
    return await _save(session, row, new, catalogue, ["periods"])


async def set_related_stops_in_tx(
    session: AsyncSession, tenant: str, code: str, related: list[str]
) -> ProductRecord:
    stored = await load_catalogue(session, tenant, for_update=True)
    row, product = stored.product_row(code), stored.catalogue.product(code)
    if code in related:
        raise InvalidCatalogue(f"product {code} cannot be its own related stop")
    new = replace(product, related_stops=tuple(sorted(set(related))))
    catalogue = stored.catalogue.revised(products=[new])
    await replace_related_stops(session, tenant, code, new.related_stops)
    changed = ["related_stops"] if new.related_stops != product.related_stops else []
    return await _save(session, row, new, catalogue, changed)


async def set_branch_shares_in_tx(
    session: AsyncSession, tenant: str, code: str, bodies: list[BranchShareBody]
) -> ProductRecord:
    """`DefineSettlementAmounts`: the product's branch shares, replaced as a whole."""
    stored = await load_catalogue(session, tenant, for_update=True)
    row, product = stored.product_row(code), stored.catalogue.product(code)
    names = await _organisation_names(session, tenant, bodies)
    shares = [
        BranchShare(
            product=code,
            organisation=OrganisationId(body.organisation_id),
            organisation_name=names[body.organisation_id],
            amount=body.amount,
        )
        for body in bodies
    ]
    others = [s for s in stored.catalogue.branch_shares if s.product != code]
    catalogue = stored.catalogue.revised(branch_shares=[*others, *shares])
    await replace_branch_shares(session, tenant, code, shares)
    return await _save(session, row, product, catalogue, ["branch_shares"])


async def _organisation_names(
    session: AsyncSession, tenant: str, bodies: list[BranchShareBody]
) -> dict[Any, str]:
    """The name given, else the one in billing's copy of the tree; a share for an organisation
    billing has never heard of must name it."""
    wanted = [body.organisation_id for body in bodies]
    rows = await session.execute(
        select(organisations.c.organisation_id, organisations.c.name).where(
            organisations.c.tenant == tenant, organisations.c.organisation_id.in_(wanted)
        )
    )
    known = {r.organisation_id: r.name for r in rows}
    names = {}
    for body in bodies:
        name = body.organisation_name or known.get(body.organisation_id)
        if name is None:
            raise Problem(
                422,
                "unknown-organisation",
                "Unknown organisation",
                f"Billing knows no organisation {body.organisation_id}; send its name.",
                errors=[{"field": "organisation_name", "message": "required"}],
            )
        names[body.organisation_id] = name
    return names
