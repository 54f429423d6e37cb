"""Importing members, phase 1: every line checked by the API's own rules before anything is
written.

A line is validated by constructing the API's `MemberCreate` from it, its reference codes must
exist and be active, its organisation must exist and be within the caller's scope, and its
external id must be new in the file. A member the file names by an external id that is already
taken must be one the caller may change (visible, not erased).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Text, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from federa.members.duplicates import spellings_in_tx
from federa.members.http.schemas import MemberCreate
from federa.members.imports_csv import Columns, CsvFile, Record
from federa.members.imports_store import REPORT_LIMIT, LineError, line_error
from federa.members.imports_tree import OrgIndex, load_org_index, normalise_name_path
from federa.members.scope import Scope, scope_of, visible_members
from federa.members.storage.tables import members, reference_codes
from federa.members.tenancy import TenantSettings, ensure_tenant_in_tx
from federa.shared.auth import Principal
from federa.shared.db import Database

ORGANISATION_COLUMNS = ("organisation_id", "organisation_number", "organisation_external_ref")
MODEL_COLUMNS = frozenset(MemberCreate.model_fields) - {"confirm_duplicate"}
COLUMNS = Columns(
    allowed=MODEL_COLUMNS | frozenset(ORGANISATION_COLUMNS),
    required=frozenset({"external_id", "name"}),
)
# Columns whose empty cell means "not given" (the default, or no change): they cannot be null.
NOT_NULL = frozenset(
    {
        "name",
        "party_kind",
        "country_code",
        "enrolment_date",
        "correspondence_channel",
        "address_sync_disabled",
        "status",
    }
)
TAG_SEPARATOR = "|"
_EXISTING_BATCH = 10_000


@dataclass(frozen=True)
class MemberContext:
    """What every line is checked against, loaded once per import."""

    tenant: str
    actor: str
    principal: Principal
    scope: Scope
    settings: TenantSettings
    spellings: dict[str, str]
    codes: dict[str, frozenset[str]]
    orgs: OrgIndex
    header: tuple[str, ...]


@dataclass(frozen=True)
class MemberLine:
    """A valid line: the validated request and the organisations it joins."""

    line: int
    cells: dict[str, str]
    request: MemberCreate
    # (organisation, affiliation source), the named one first, as registration orders them.
    assigned: tuple[tuple[uuid.UUID, str], ...]
    # The organisation the file names, if any (an existing member is affiliated to it).
    named: uuid.UUID | None

    @property
    def external_id(self) -> str:
        return self.cells["external_id"]


async def load_context(
    db: Database, principal: Principal, header: tuple[str, ...]
) -> MemberContext:
    async with db.transaction() as session:
        settings = await ensure_tenant_in_tx(session, principal.tenant)
        scope = await scope_of(session, principal)
        rows = await session.execute(
            select(reference_codes.c.kind, reference_codes.c.code).where(
                reference_codes.c.tenant == principal.tenant,
                reference_codes.c.active,
                reference_codes.c.kind.in_(("status", "category")),
            )
        )
        codes: dict[str, set[str]] = {"status": set(), "category": set()}
        for r in rows:
            codes[r.kind].add(r.code)
        return MemberContext(
            tenant=principal.tenant,
            actor=principal.subject,
            principal=principal,
            scope=scope,
            settings=settings,
            spellings=await spellings_in_tx(session, principal.tenant),
            codes={k: frozenset(v) for k, v in codes.items()},
            orgs=await load_org_index(session, principal.tenant),
            header=header,
        )


def model_input(cells: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column, cell in cells.items():
        if column not in MODEL_COLUMNS:
            continue
        if column == "tags":
            values[column] = [t.strip() for t in cell.split(TAG_SEPARATOR) if t.strip()]
        else:
            values[column] = cell
    return values


def _field_of(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]) if loc else "line"


def _named_organisation(
    line: int, cells: dict[str, str], request: MemberCreate, ctx: MemberContext
) -> tuple[dict[str, Any] | None, list[LineError]]:
    given = [c for c in ORGANISATION_COLUMNS if c in cells]
    if not given:
        return None, []
    if len(given) > 1:
        return None, [line_error(line, given[1], f"give only one of {', '.join(given)}")]
    column = given[0]
    org: dict[str, Any] | None = None
    if column == "organisation_id" and request.organisation_id is not None:
        org = ctx.orgs.by_id.get(request.organisation_id)
    elif column == "organisation_number":
        try:
            org = ctx.orgs.by_number.get(int(cells[column]))
        except ValueError:
            return None, [line_error(line, column, "not a number")]
    elif column == "organisation_external_ref":
        found = ctx.orgs.by_name_path.get(normalise_name_path(cells[column]), [])
        if len(found) > 1:
            message = "more than one organisation has this name path; use organisation_number"
            return None, [line_error(line, column, message)]
        org = found[0] if found else None
    if org is None:
        return None, [line_error(line, column, f"unknown organisation {cells[column]!r}")]
    if not ctx.scope.covers_path(org["path"]):
        return None, [line_error(line, column, "not one of the organisations you act for")]
    return org, []


def _assign(
    line: int, request: MemberCreate, named: dict[str, Any] | None, ctx: MemberContext
) -> tuple[list[tuple[uuid.UUID, str]], list[LineError]]:
    """The organisations a new member joins, by registration's rules (SPEC §2.1 rule 7)."""
    chosen: list[tuple[uuid.UUID, str]] = []
    settings = ctx.settings
    if named is not None:
        chosen.append((named["id"], "import"))
    elif (
        settings.assign_by_user
        and not ctx.scope.everything
        and len(ctx.principal.organisations) == 1
    ):
        own = next(iter(ctx.principal.organisations))
        try:
            own_id = uuid.UUID(own)
        except ValueError:
            own_id = None
        if own_id is not None and own_id in ctx.orgs.by_id:
            chosen.append((own_id, "user"))
    wanted = []
    if settings.assign_by_postcode and request.postcode:
        wanted.append(("postcode", request.postcode))
    if settings.assign_by_municipality and request.municipality_code:
        wanted.append(("municipality", request.municipality_code))
    source = "postcode" if request.postcode else "municipality"
    for area in wanted:
        for org_id in ctx.orgs.areas.get(area, []):
            if org_id not in {c for c, _ in chosen}:
                chosen.append((org_id, source))
    if not ctx.scope.everything and not chosen:
        return [], [line_error(line, "organisation_number", "required: name the branch")]
    return chosen, []


def check_line(
    line: int, cells: dict[str, str], ctx: MemberContext
) -> MemberLine | list[LineError]:
    """The valid line, or everything wrong with it."""
    errors: list[LineError] = []
    if "external_id" not in cells:
        errors.append(line_error(line, "external_id", "required"))
    try:
        request = MemberCreate(**model_input(cells))
    except ValidationError as exc:
        errors += [line_error(line, _field_of(e["loc"]), e["msg"]) for e in exc.errors()]
        return errors
    for field, kind, code in (
        ("status", "status", request.status),
        ("category", "category", request.category),
    ):
        if code is not None and code not in ctx.codes[kind]:
            errors.append(line_error(line, field, f"unknown {kind} {code!r}"))
    named, problems = _named_organisation(line, cells, request, ctx)
    errors += problems
    assigned, problems = _assign(line, request, named, ctx)
    if not errors:
        errors += problems
    if errors:
        return errors
    return MemberLine(
        line, cells, request, tuple(assigned), named["id"] if named is not None else None
    )


@dataclass
class FileCheck:
    errors: list[LineError]
    bad_lines: set[int]
    # Each external id in the file with its line, to find the members it already names.
    external_ids: dict[str, int]


def check_file(file: CsvFile, ctx: MemberContext) -> FileCheck:
    """Every line of the file (CPU-bound; runs in a worker thread)."""
    result = FileCheck([], set(), {})
    for line, cells in file.records():
        checked = check_line(line, cells, ctx)
        problems = checked if isinstance(checked, list) else []
        external_id = cells.get("external_id")
        if external_id is not None:
            first = result.external_ids.setdefault(external_id, line)
            if first != line:
                problems.append(
                    line_error(line, "external_id", f"{external_id!r} repeats line {first}")
                )
        if problems:
            if len(result.errors) < REPORT_LIMIT:
                result.errors += problems
            result.bad_lines.add(line)
    return result


def external_ids_param(external_ids: list[str]) -> Any:
    """One array parameter rather than an IN list of thousands."""
    return bindparam("external_ids", external_ids, type_=ARRAY(Text))


async def _existing_problems(
    session: AsyncSession, scope: Scope, external_ids: dict[str, int]
) -> list[LineError]:
    """Lines naming a member the caller may not change."""
    errors: list[LineError] = []
    keys = list(external_ids)
    for start in range(0, len(keys), _EXISTING_BATCH):
        batch = keys[start : start + _EXISTING_BATCH]
        rows = await session.execute(
            select(
                members.c.external_id,
                members.c.erased_at.is_not(None).label("erased"),
                visible_members(scope).label("visible"),
            ).where(
                members.c.tenant == scope.tenant,
                members.c.external_id == any_(external_ids_param(batch)),
            )
        )
        for r in rows:
            line = external_ids[r.external_id]
            if not r.visible:
                errors.append(line_error(line, "external_id", "taken by a member you cannot see"))
            elif r.erased:
                message = "the member with this external id was erased"
                errors.append(line_error(line, "external_id", message))
    return errors


async def validate(db: Database, file: CsvFile, ctx: MemberContext) -> tuple[list[LineError], int]:
    """Phase 1: (problems, number of bad lines); nothing is written."""
    checked = await asyncio.to_thread(check_file, file, ctx)
    async with db.sessions() as session:
        existing = await _existing_problems(session, ctx.scope, checked.external_ids)
    errors = checked.errors + existing
    bad = checked.bad_lines | {e["line"] for e in existing if e["line"] is not None}
    errors.sort(key=lambda e: e["line"] or 0)
    return errors, len(bad)


def check_chunk(records: Iterable[Record], ctx: MemberContext) -> list[MemberLine]:
    """Phase 2 validates its chunk again to get the typed values; phase 1 passed every line."""
    lines = []
    for line, cells in records:
        checked = check_line(line, cells, ctx)
        if isinstance(checked, list):
            raise ValueError(f"line {line} no longer valid: {checked[0]['message']}")
        lines.append(checked)
    return lines
