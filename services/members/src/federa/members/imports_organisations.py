"""Importing organisations, phase 1: check every line and put the tree in order.

An organisation is identified by its `organisation_number` when the file gives one (numbers of
the old system are kept, so members can name their branch by it), otherwise by its name path
(`Federation/North/Oslo`). Its parent is named by `parent_number` or `parent_path`, either an
organisation already in the tree or one earlier or later in the file: lines are written parents
first whatever their order in the file. A line naming an existing organisation updates it; it
cannot move it (that is `POST /v1/organisations/{id}/move`, with its consequences for members).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from federa.members.http.tree_schemas import OrganisationCreate
from federa.members.imports_csv import Columns, CsvFile
from federa.members.imports_store import LineError, line_error
from federa.members.imports_tree import OrgIndex, load_org_index, name_path, normalise_name_path
from federa.members.scope import Scope, scope_of
from federa.members.storage.tables import reference_codes
from federa.members.tenancy import TenantSettings, ensure_tenant_in_tx
from federa.shared.auth import Principal
from federa.shared.db import Database

MODEL_COLUMNS = frozenset(OrganisationCreate.model_fields) - {"parent_id"}
AREA_COLUMNS = ("postcodes", "municipalities")
COLUMNS = Columns(
    allowed=MODEL_COLUMNS
    | frozenset({"organisation_number", "parent_number", "parent_path", *AREA_COLUMNS}),
    required=frozenset({"name", "organisation_type"}),
)
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class OrgContext:
    tenant: str
    actor: str
    scope: Scope
    settings: TenantSettings
    types: frozenset[str]
    orgs: OrgIndex
    header: tuple[str, ...]


@dataclass
class OrgLine:
    line: int
    cells: dict[str, str]
    request: OrganisationCreate
    number: int | None
    # ("number", "12") or ("path", "Federation/North"), or None for a root.
    parent_ref: tuple[str, str] | None
    areas: dict[str, list[str]]
    # Filled while the tree is resolved:
    name_path: str = ""
    # The parent: an existing organisation's id, or the line number of a new one in the file.
    parent: uuid.UUID | int | None = None
    existing: dict[str, Any] | None = None


@dataclass
class Plan:
    """Lines in writing order (parents first) and the largest organisation number given."""

    lines: list[OrgLine] = field(default_factory=list)
    max_number: int = 0


async def load_context(db: Database, principal: Principal, header: tuple[str, ...]) -> OrgContext:
    async with db.transaction() as session:
        settings = await ensure_tenant_in_tx(session, principal.tenant)
        types = await session.execute(
            select(reference_codes.c.code).where(
                reference_codes.c.tenant == principal.tenant,
                reference_codes.c.kind == "organisation_type",
                reference_codes.c.active,
            )
        )
        return OrgContext(
            tenant=principal.tenant,
            actor=principal.subject,
            scope=await scope_of(session, principal),
            settings=settings,
            types=frozenset(types.scalars()),
            orgs=await load_org_index(session, principal.tenant),
            header=header,
        )


def _split(cell: str | None) -> list[str]:
    return sorted({p.strip() for p in (cell or "").split(LIST_SEPARATOR) if p.strip()})


def check_line(line: int, cells: dict[str, str], ctx: OrgContext) -> OrgLine | list[LineError]:
    errors: list[LineError] = []
    try:
        request = OrganisationCreate(**{k: v for k, v in cells.items() if k in MODEL_COLUMNS})
    except ValidationError as exc:
        return [line_error(line, str(e["loc"][0]), e["msg"]) for e in exc.errors()]
    if request.organisation_type not in ctx.types:
        message = f"unknown organisation type {request.organisation_type!r}"
        errors.append(line_error(line, "organisation_type", message))
    number = None
    if "organisation_number" in cells:
        try:
            number = int(cells["organisation_number"])
            if number < 1:
                raise ValueError
        except ValueError:
            errors.append(line_error(line, "organisation_number", "not a positive number"))
    parent_ref: tuple[str, str] | None = None
    if "parent_number" in cells and "parent_path" in cells:
        errors.append(line_error(line, "parent_path", "give parent_number or parent_path"))
    elif "parent_number" in cells:
        parent_ref = ("number", cells["parent_number"])
        if not cells["parent_number"].isdigit():
            errors.append(line_error(line, "parent_number", "not a number"))
    elif "parent_path" in cells:
        parent_ref = ("path", normalise_name_path(cells["parent_path"]))
    areas = {column: _split(cells.get(column)) for column in AREA_COLUMNS if column in ctx.header}
    if errors:
        return errors
    return OrgLine(line, cells, request, number, parent_ref, areas)


class _Tree:
    """Resolves parents and identities of the file's lines against the tree and each other."""

    def __init__(self, lines: list[OrgLine], ctx: OrgContext) -> None:
        self.ctx = ctx
        self.errors: list[LineError] = []
        self.by_number: dict[int, OrgLine] = {}
        for x in lines:
            if x.number is None:
                continue
            first = self.by_number.setdefault(x.number, x)
            if first is not x:
                message = f"organisation number {x.number} repeats line {first.line}"
                self.errors.append(line_error(x.line, "organisation_number", message))
        self.by_path: dict[str, OrgLine] = {}
        self.order: list[OrgLine] = []

    def parent_of(self, x: OrgLine) -> tuple[bool, uuid.UUID | int | None, str | None]:
        """(resolved yet, parent, parent's name path); an error is recorded and resolves."""
        if x.parent_ref is None:
            return True, None, None
        kind, value = x.parent_ref
        orgs = self.ctx.orgs
        if kind == "number":
            number = int(value)
            if number in self.by_number:
                parent_line = self.by_number[number]
                if parent_line.name_path:
                    return True, self._target(parent_line), parent_line.name_path
                return False, None, None
            org = orgs.by_number.get(number)
            if org is not None:
                return True, org["id"], orgs.name_path_of(org)
            message = f"unknown organisation {value}"
            self.errors.append(line_error(x.line, "parent_number", message))
            return True, None, None
        if value in self.by_path:
            parent_line = self.by_path[value]
            return True, self._target(parent_line), value
        found = orgs.by_name_path.get(value, [])
        if len(found) == 1:
            return True, found[0]["id"], value
        if len(found) > 1:
            message = "more than one organisation has this name path; use parent_number"
            self.errors.append(line_error(x.line, "parent_path", message))
            return True, None, None
        return False, None, None

    @staticmethod
    def _target(parent_line: OrgLine) -> uuid.UUID | int:
        return parent_line.existing["id"] if parent_line.existing else parent_line.line

    def resolve(self, lines: list[OrgLine]) -> None:
        pending = list(lines)
        while pending:
            waiting = []
            for x in pending:
                done, parent, parent_path = self.parent_of(x)
                if not done:
                    waiting.append(x)
                    continue
                x.parent = parent
                parts = [parent_path, x.request.name] if parent_path else [x.request.name]
                x.name_path = name_path(parts)
                self._identify(x)
            if len(waiting) == len(pending):
                for x in waiting:
                    by_number = x.parent_ref is not None and x.parent_ref[0] == "number"
                    column = "parent_number" if by_number else "parent_path"
                    message = "parent not found in the tree or the file, or the parents loop"
                    self.errors.append(line_error(x.line, column, message))
                return
            pending = waiting

    def _identify(self, x: OrgLine) -> None:
        orgs = self.ctx.orgs
        if x.number is not None:
            x.existing = orgs.by_number.get(x.number)
        else:
            found = orgs.by_name_path.get(x.name_path, [])
            if len(found) > 1:
                message = "more than one organisation has this name path; give its number"
                self.errors.append(line_error(x.line, "name", message))
            x.existing = found[0] if len(found) == 1 else None
        first = self.by_path.setdefault(x.name_path, x)
        if first is not x and x.number is None and first.number is None:
            message = f"{x.name_path!r} repeats line {first.line}"
            self.errors.append(line_error(x.line, "name", message))
        self._check_place(x)
        self.order.append(x)

    def _check_place(self, x: OrgLine) -> None:
        scope = self.ctx.scope
        if x.existing is not None:
            if not scope.covers_path(x.existing["path"]):
                self.errors.append(line_error(x.line, "name", "not one of your organisations"))
            gives_parent = "parent_number" in self.ctx.header or "parent_path" in self.ctx.header
            if gives_parent and x.parent != x.existing["parent_id"]:
                message = (
                    "the file gives this organisation another parent; moving is done by "
                    f"POST /v1/organisations/{x.existing['id']}/move"
                )
                self.errors.append(line_error(x.line, "parent_number", message))
            return
        if x.parent is None and not scope.everything:
            message = "only a caller acting for the whole federation may create a root"
            self.errors.append(line_error(x.line, "parent_number", message))
        if isinstance(x.parent, uuid.UUID) and not scope.covers_path(
            self.ctx.orgs.by_id[x.parent]["path"]
        ):
            message = "not one of your organisations"
            self.errors.append(line_error(x.line, "parent_number", message))


def plan_file(file: CsvFile, ctx: OrgContext) -> tuple[Plan, list[LineError]]:
    errors: list[LineError] = []
    lines: list[OrgLine] = []
    for line, cells in file.records():
        checked = check_line(line, cells, ctx)
        if isinstance(checked, list):
            errors += checked
        else:
            lines.append(checked)
    tree = _Tree(lines, ctx)
    tree.resolve(lines)
    errors += tree.errors
    errors.sort(key=lambda e: e["line"] or 0)
    numbers = [x.number for x in lines if x.number is not None]
    return Plan(tree.order, max(numbers, default=0)), errors


async def validate(file: CsvFile, ctx: OrgContext) -> tuple[Plan, list[LineError]]:
    return await asyncio.to_thread(plan_file, file, ctx)
