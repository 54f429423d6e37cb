"""A tenant's settings and reference tables, seeded with sensible defaults on first use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.storage.tables import reference_codes, tenant_settings
from federa.shared.http.problems import Problem

REFERENCE_KINDS = (
    "category",
    "status",
    "leaving_reason",
    "office_type",
    "organisation_type",
    "address_type",
)

# What a new federation starts with; its own codes are added and edited over the API.
DEFAULT_CODES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "category": [
        ("member", "Member", {}),
        ("supporter", "Supporter", {}),
        ("customer", "Customer (non-member)", {}),
    ],
    "status": [
        ("active", "Active", {}),
        ("passive", "Passive", {}),
        ("left", "Left", {}),
        ("deceased", "Deceased", {}),
    ],
    "leaving_reason": [
        ("moved", "Moved away", {"influenceable": False}),
        ("price", "Too expensive", {"influenceable": True}),
        ("dissatisfied", "Dissatisfied", {"influenceable": True}),
        ("deceased", "Deceased", {"influenceable": False}),
        ("arrears", "Unpaid dues", {"influenceable": True}),
        ("other", "Other", {"influenceable": False}),
    ],
    "office_type": [
        ("chair", "Chair", {"priority": 1}),
        ("treasurer", "Treasurer", {"priority": 2}),
        ("secretary", "Secretary", {"priority": 3}),
        ("board_member", "Board member", {"priority": 4}),
        ("coach", "Coach", {"priority": 5}),
        ("volunteer", "Volunteer", {"priority": 9}),
    ],
    "organisation_type": [
        ("federation", "Federation", {}),
        ("region", "Region", {}),
        ("branch", "Branch", {}),
        ("section", "Section", {}),
    ],
    "address_type": [
        ("home", "Home", {"primary_default": True}),
        ("work", "Work", {}),
        ("holiday", "Holiday address", {}),
    ],
}


@dataclass(frozen=True)
class TenantSettings:
    tenant: str
    duplicate_check: bool
    name_propagation: str
    default_office_type: str | None
    create_default_office: bool
    assign_by_user: bool
    assign_by_postcode: bool
    assign_by_municipality: bool
    default_country: str
    currency: str


async def ensure_tenant_in_tx(session: AsyncSession, tenant: str) -> TenantSettings:
    created = await session.execute(
        insert(tenant_settings).values(tenant=tenant).on_conflict_do_nothing()
    )
    if created.rowcount:  # type: ignore[attr-defined]
        rows = [
            {
                "tenant": tenant,
                "kind": kind,
                "code": code,
                "description": description,
                "attributes": attributes,
            }
            for kind, codes in DEFAULT_CODES.items()
            for code, description, attributes in codes
        ]
        await session.execute(insert(reference_codes).values(rows).on_conflict_do_nothing())
    row = (
        (await session.execute(select(tenant_settings).where(tenant_settings.c.tenant == tenant)))
        .mappings()
        .one()
    )
    return TenantSettings(**{k: row[k] for k in TenantSettings.__dataclass_fields__})


async def require_codes_in_tx(
    session: AsyncSession, tenant: str, wanted: dict[str, tuple[str, str | None]]
) -> None:
    """Fail with a 422 naming the field when a reference code is unknown or inactive.

    `wanted` maps a request field to (kind, code); None codes are skipped.
    """
    pairs = [(field, kind, code) for field, (kind, code) in wanted.items() if code is not None]
    if not pairs:
        return
    result = await session.execute(
        text(
            "SELECT kind, code FROM reference_codes WHERE tenant = :t AND active AND (kind, code)"
            " IN (SELECT * FROM unnest(CAST(:kinds AS text[]), CAST(:codes AS text[])))"
        ),
        {"t": tenant, "kinds": [k for _, k, _ in pairs], "codes": [c for _, _, c in pairs]},
    )
    known = {(r.kind, r.code) for r in result}
    errors = [
        {"field": field, "message": f"unknown {kind.replace('_', ' ')} {code!r}"}
        for field, kind, code in pairs
        if (kind, code) not in known
    ]
    if errors:
        raise Problem(
            422,
            "unknown-reference-code",
            "Unknown reference code",
            "; ".join(e["message"] for e in errors),
            errors=errors,
        )
