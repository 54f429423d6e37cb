"""/v1/members/search: find members by name, number, address, contact data, tag,
organisation and status; with /v1/phonetic-equivalences. Must be registered before
/v1/members/{member_id}, which would otherwise take the path."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from federa.members.http.dependencies import Reader
from federa.members.http.phonetics import router as phonetics_router
from federa.members.http.schemas import MemberRead
from federa.members.scope import scope_of
from federa.members.search import Criteria, SortKey, search_members
from federa.shared.auth import Role
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

search_router = APIRouter(prefix="/v1/members/search", tags=["members"])


class MemberHit(MemberRead):
    score: float | None = Field(
        description="How well the name matches q (0-1, higher is better); null without q."
    )


class SearchPage(BaseModel):
    items: list[MemberHit]
    total: int
    limit: int
    offset: int


def _given(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@search_router.get("", response_model=SearchPage)
async def search(
    principal: Reader,
    runtime: RuntimeDep,
    q: Annotated[
        str | None, Query(max_length=100, description="Name, or part of one, as spelled.")
    ] = None,
    phonetic: Annotated[
        bool, Query(description="Also find the spellings the tenant's equivalences allow.")
    ] = True,
    fuzzy: Annotated[bool, Query(description="Also find names with typos.")] = True,
    member_number: Annotated[int | None, Query(ge=1)] = None,
    address: Annotated[
        str | None,
        Query(max_length=100, description="Words that all appear in the (alternative) address."),
    ] = None,
    postcode: Annotated[str | None, Query(max_length=12)] = None,
    email: Annotated[str | None, Query(max_length=254, description="Case-insensitive.")] = None,
    phone: Annotated[
        str | None,
        Query(
            max_length=30, description="Phone or mobile; digits compared, country code optional."
        ),
    ] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    organisation_id: Annotated[
        UUID | None, Query(description="Affiliated to this organisation or one beneath it.")
    ] = None,
    affiliation: Annotated[
        Literal["current", "any"],
        Query(description="With organisation_id: affiliations open today, or also past ones."),
    ] = "current",
    status_: Annotated[str | None, Query(alias="status", max_length=40)] = None,
    include_erased: Annotated[
        bool, Query(description="Also members whose data was erased (superusers only).")
    ] = False,
    sort: Annotated[
        SortKey | None,
        Query(description="Default: relevance with q, member_number without."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchPage:
    """Members the caller may see that meet every criterion given, best match first when
    searching by name."""
    if include_erased and Role.SUPERUSER not in principal.roles:
        raise Problem(403, "forbidden", "Not allowed", "Only superusers may search erased members.")
    criteria = Criteria(
        q=_given(q),
        phonetic=phonetic,
        fuzzy=fuzzy,
        member_number=member_number,
        address=_given(address),
        postcode=_given(postcode),
        email=_given(email),
        phone=_given(phone),
        tag=_given(tag),
        organisation_id=organisation_id,
        current_affiliations=affiliation == "current",
        status=_given(status_),
        include_erased=include_erased,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
        found = await search_members(session, scope, criteria)
    items = [MemberHit.model_validate({**hit.row, "score": hit.score}) for hit in found.hits]
    return SearchPage(items=items, total=found.total, limit=limit, offset=offset)


# Search and the equivalence table it uses, as one entry of the service's router list.
router = APIRouter()
router.include_router(search_router)
router.include_router(phonetics_router)
