"""/v1/phonetic-equivalences: spellings the tenant treats as one (Kristian/Christian)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from federa.members.domain.phonetic import normalise
from federa.members.http.dependencies import Organiser, Reader
from federa.members.phonetics import equivalences_of, replace_equivalences_in_tx
from federa.members.scope import scope_of
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(prefix="/v1/phonetic-equivalences", tags=["search"])

MAX_PAIRS = 2000


class EquivalencePair(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fragment: str = Field(min_length=1, max_length=40, examples=["k"])
    phonetic: str = Field(min_length=1, max_length=40, examples=["ch"])


class EquivalenceChange(BaseModel):
    pairs: list[EquivalencePair] = Field(description="The table as stored: both directions.")
    members_rekeyed: int = Field(description="Members whose phonetic key changed.")


Pairs = Annotated[list[EquivalencePair], Body(max_length=MAX_PAIRS)]


def _refuse_meaningless(pairs: list[EquivalencePair]) -> None:
    errors: list[dict[str, Any]] = []
    for at, pair in enumerate(pairs):
        fragment, phonetic = normalise(pair.fragment), normalise(pair.phonetic)
        if not fragment:
            errors.append({"field": f"{at}.fragment", "message": "no letters or digits"})
        if not phonetic:
            errors.append({"field": f"{at}.phonetic", "message": "no letters or digits"})
        if fragment and fragment == phonetic:
            errors.append({"field": f"{at}.phonetic", "message": "same spelling as fragment"})
    if errors:
        raise Problem(
            422,
            "validation-error",
            "Invalid request",
            "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            errors=errors,
        )


@router.get("", response_model=list[EquivalencePair])
async def read_equivalences(principal: Reader, runtime: RuntimeDep) -> list[EquivalencePair]:
    """The tenant's table, normalised, each pair in both directions."""
    async with runtime.db.sessions() as session:
        rows = await equivalences_of(session, principal.tenant)
    return [EquivalencePair(fragment=a, phonetic=b) for a, b in rows]


@router.put("", response_model=EquivalenceChange)
async def replace_equivalences(
    body: Pairs, principal: Organiser, runtime: RuntimeDep
) -> EquivalenceChange:
    """Replace the tenant's table. Each pair is stored in both directions; every member's
    phonetic key is then recomputed in this request (batches of 5000), and registrations
    wait until it is done."""
    _refuse_meaningless(body)
    async with runtime.db.transaction() as session:
        scope = await scope_of(session, principal)
        if not scope.everything:
            raise Problem(
                403,
                "needs-federation-scope",
                "Not allowed",
                "The equivalence table is the whole federation's: only a caller acting for "
                "every organisation may change it.",
            )
        rekeyed = await replace_equivalences_in_tx(
            session, principal.tenant, ((p.fragment, p.phonetic) for p in body)
        )
        rows = await equivalences_of(session, principal.tenant)
    return EquivalenceChange(
        pairs=[EquivalencePair(fragment=a, phonetic=b) for a, b in rows],
        members_rekeyed=rekeyed,
    )
