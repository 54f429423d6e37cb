"""/v1/settings, /v1/reason-codes, /v1/postage-prices: a tenant's billing setup."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, status

from federa.billing.catalogue.setup import (
    add_postage_price_in_tx,
    postage_prices_of,
    read_settings_in_tx,
    reason_codes_in_tx,
    save_reason_code_in_tx,
    update_settings_in_tx,
)
from federa.billing.domain.catalogue import ReasonCode
from federa.billing.http.catalogue_schemas import (
    PostagePriceBody,
    PostagePriceRead,
    ReasonCodeBody,
    ReasonCodeRead,
    SettingsBody,
)
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.tenancy import BillingSettings
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["setup"], route_class=BillingRoute, responses=PROBLEMS)


def settings_read(settings: BillingSettings) -> SettingsBody:
    values = asdict(settings)
    del values["tenant"]
    return SettingsBody.model_validate(values)


def reason_read(reason: ReasonCode) -> ReasonCodeRead:
    return ReasonCodeRead.model_validate({**asdict(reason), "action": reason.action.value})


@router.get("/settings", response_model=SettingsBody)
async def read_settings(principal: Reader, runtime: RuntimeDep) -> SettingsBody:
    async with runtime.db.transaction() as session:
        return settings_read(await read_settings_in_tx(session, principal.tenant))


@router.put("/settings", response_model=SettingsBody)
async def update_settings(
    body: SettingsBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> SettingsBody:
    """The tenant's currency, default product, prerequisite product (rule 1) and default stop
    reason (rule 8); each code must exist."""
    async with runtime.db.transaction() as session:
        return settings_read(await update_settings_in_tx(session, principal.tenant, body))


@router.get("/reason-codes", response_model=list[ReasonCodeRead])
async def reason_codes(principal: Reader, runtime: RuntimeDep) -> list[ReasonCodeRead]:
    """The tenant's reason codes; the mandatory eight (START, STOP, FLYT±, PRIS±, DEB±) are
    there from the tenant's first use."""
    async with runtime.db.transaction() as session:
        return [reason_read(r) for r in await reason_codes_in_tx(session, principal.tenant)]


@router.put("/reason-codes/{code}", response_model=ReasonCodeRead)
async def save_reason_code(
    code: str, body: ReasonCodeBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> ReasonCodeRead:
    """Add or change a reason code; a stop reason may credit the latest billed period, stop
    related products and set the member's status (`new_member_status`)."""
    async with runtime.db.transaction() as session:
        return reason_read(await save_reason_code_in_tx(session, principal.tenant, code, body))


@router.get("/postage-prices", response_model=list[PostagePriceRead])
async def postage_prices(principal: Reader, runtime: RuntimeDep) -> list[PostagePriceRead]:
    async with runtime.db.sessions() as session:
        rows = await postage_prices_of(session, principal.tenant)
    return [PostagePriceRead.model_validate(r) for r in rows]


@router.post(
    "/postage-prices", status_code=status.HTTP_201_CREATED, response_model=PostagePriceRead
)
async def add_postage_price(
    body: PostagePriceBody, principal: CatalogueWriter, runtime: RuntimeDep
) -> PostagePriceRead:
    """`DefinePostage`: a dated price per country, or per postcode within it (rule 21)."""
    async with runtime.db.transaction() as session:
        row = await add_postage_price_in_tx(session, principal.tenant, body)
    return PostagePriceRead.model_validate(row)
