"""/v1/settings: the tenant's membership options (SPEC §2.1 "tenant membership settings")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update

from federa.members.domain.household import NamePropagation
from federa.members.http.dependencies import Organiser, Reader
from federa.members.member_store import now
from federa.members.storage.tables import tenant_settings
from federa.members.tenancy import TenantSettings, ensure_tenant_in_tx, require_codes_in_tx
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/settings", tags=["settings"])


class SettingsRead(BaseModel):
    duplicate_check: bool
    name_propagation: NamePropagation
    default_office_type: str | None
    create_default_office: bool
    assign_by_user: bool
    assign_by_postcode: bool
    assign_by_municipality: bool
    default_country: str
    currency: str


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_check: bool | None = None
    name_propagation: NamePropagation | None = None
    default_office_type: str | None = Field(default=None, max_length=40)
    create_default_office: bool | None = None
    assign_by_user: bool | None = None
    assign_by_postcode: bool | None = None
    assign_by_municipality: bool | None = None
    default_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


def _read(settings: TenantSettings) -> SettingsRead:
    return SettingsRead.model_validate(settings.__dict__)


@router.get("", response_model=SettingsRead)
async def read_settings(principal: Reader, runtime: RuntimeDep) -> SettingsRead:
    async with runtime.db.transaction() as session:
        return _read(await ensure_tenant_in_tx(session, principal.tenant))


@router.patch("", response_model=SettingsRead)
async def change_settings(
    body: SettingsUpdate, principal: Organiser, runtime: RuntimeDep
) -> SettingsRead:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await require_codes_in_tx(
            session,
            principal.tenant,
            {"default_office_type": ("office_type", values.get("default_office_type"))},
        )
        if values:
            await session.execute(
                update(tenant_settings)
                .where(tenant_settings.c.tenant == principal.tenant)
                .values(**values, updated_at=now())
            )
        return _read(await ensure_tenant_in_tx(session, principal.tenant))
