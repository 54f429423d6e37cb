"""/v1/reference/{kind}: the tenant's reference tables."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from federa.members.http.dependencies import Organiser, Reader
from federa.members.http.tree_schemas import ReferenceCodeRead, ReferenceCodeWrite
from federa.members.storage.tables import reference_codes
from federa.members.tenancy import REFERENCE_KINDS, ensure_tenant_in_tx
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/reference", tags=["reference tables"])

Kind = Annotated[str, Path(description=", ".join(REFERENCE_KINDS))]
CodePath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]


def _known(kind: str) -> None:
    if kind not in REFERENCE_KINDS:
        raise Problem(
            404,
            "unknown-reference-table",
            "No such reference table",
            f"Reference tables: {', '.join(REFERENCE_KINDS)}.",
        )


@router.get("/{kind}", response_model=list[ReferenceCodeRead])
async def list_codes(kind: Kind, principal: Reader, runtime: RuntimeDep) -> list[ReferenceCodeRead]:
    _known(kind)
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        rows = await session.execute(
            select(reference_codes)
            .where(reference_codes.c.tenant == principal.tenant, reference_codes.c.kind == kind)
            .order_by(reference_codes.c.code)
        )
        return [ReferenceCodeRead.model_validate(dict(r)) for r in rows.mappings()]


@router.put("/{kind}/{code}", response_model=ReferenceCodeRead)
async def put_code(
    kind: Kind,
    code: CodePath,
    body: ReferenceCodeWrite,
    principal: Organiser,
    runtime: RuntimeDep,
) -> ReferenceCodeRead:
    """Create or change a code; deactivate rather than delete, since members refer to it."""
    _known(kind)
    values = {"tenant": principal.tenant, "kind": kind, "code": code, **body.model_dump()}
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        stmt = insert(reference_codes).values(**values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant", "kind", "code"],
                set_={
                    "description": stmt.excluded.description,
                    "active": stmt.excluded.active,
                    "attributes": stmt.excluded.attributes,
                },
            )
        )
    return ReferenceCodeRead.model_validate(values)
