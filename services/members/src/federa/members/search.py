"""Finding members (SPEC §2.1 `SearchMembers`): by name — typed, phonetic and typo-tolerant —
number, address, e-mail, phone, tag, organisation and status, within the caller's scope.

Name matching is built to use the trigram index on `search_name` at a million members. Every
word of the query must match the name, in one of its spellings (as typed, and each spelling
the tenant's equivalences make of it, fewest changes first):
- as a substring (`LIKE`; a word of one or two letters only at the start of a name's word),
  and when `fuzzy` by word similarity (`<%`, threshold `WORD_SIMILARITY`), both served by
  `ix_members_search_trgm`;
- with `phonetic`, a name whose whole phonetic key equals the query's also matches (served by
  `ix_members_phonetic`), which catches equivalences that span words.
The score is the mean over the query's words of the best word similarity among its spellings;
a spelling the equivalences made counts slightly less than the one typed, so a name spelled as
typed comes first.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import UnaryExpression

from federa.members.domain.phonetic import (
    canonical_spellings,
    normalise,
    phonetic_key,
    spelling_variants,
)
from federa.members.duplicates import postcode_forms
from federa.members.phonetics import equivalences_of
from federa.members.scope import Scope, visible_members
from federa.members.storage.tables import (
    affiliations,
    alternative_addresses,
    members,
    organisations,
)
from federa.shared.http.problems import Problem

SortKey = Literal["relevance", "member_number", "-member_number", "name", "-name"]

# pg_trgm's word similarity a name must reach to count as a typo of the query: 0.5 lets one
# wrong letter in an eight-letter name through ("krestian" ~ "kristian hansen" is 0.5) and
# keeps unrelated names out ("jensen" ~ "kristian hansen" is 0.43).
WORD_SIMILARITY = 0.5
# A spelling the tenant's equivalences made ranks just below the spelling typed.
VARIANT_WEIGHT = 0.95
MAX_VARIANTS = 16
MAX_WORDS = 6
# Shorter words match only at the start of a word of the name: "bo" finds Bo, not Jacob.
SUBSTRING_LENGTH = 3
# Phone numbers are compared on their digits; one that ends with the other matches once the
# shorter has this many digits (a number with and without its country code).
PHONE_SUFFIX_DIGITS = 6
# What a phone number may be written with besides digits (the API's phone pattern).
PHONE_SEPARATORS = "+ ()-./"
_ADDRESS_WORDS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Criteria:
    q: str | None = None
    phonetic: bool = True
    fuzzy: bool = True
    member_number: int | None = None
    address: str | None = None
    postcode: str | None = None
    email: str | None = None
    phone: str | None = None
    tag: str | None = None
    organisation_id: uuid.UUID | None = None
    # Only affiliations open today count for `organisation_id`, unless False.
    current_affiliations: bool = True
    status: str | None = None
    include_erased: bool = False
    sort: SortKey | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class Hit:
    row: dict[str, Any]
    score: float | None


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "validation-error",
        "Invalid request",
        f"{field}: {message}",
        errors=[{"field": field, "message": message}],
    )


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_members(session: AsyncSession, scope: Scope, criteria: Criteria) -> Found:
    sort = criteria.sort or ("relevance" if criteria.q else "member_number")
    if sort == "relevance" and not criteria.q:
        raise _invalid("sort", "relevance needs a name to search for (q)")
    where: list[ColumnElement[bool]] = [visible_members(scope)]
    if not criteria.include_erased:
        where.append(members.c.erased_at.is_(None))
    score: ColumnElement[Any] = null()
    if criteria.q:
        name_match, score = await _name_match(session, scope.tenant, criteria)
        where.append(name_match)
    where.extend(await _filters(session, scope, criteria))

    total = (
        await session.execute(select(func.count()).select_from(members).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(members, score.label("score"))
        .where(*where)
        .order_by(*_order(sort, score))
        .limit(criteria.limit)
        .offset(criteria.offset)
    )
    hits = []
    for row in rows.mappings():
        found = dict(row)
        value = found.pop("score")
        hits.append(Hit(found, None if value is None else round(float(value), 4)))
    return Found(hits, int(total))


async def _name_match(
    session: AsyncSession, tenant: str, criteria: Criteria
) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    assert criteria.q is not None
    typed = normalise(criteria.q)
    if not typed:
        raise _invalid("q", "no letters or digits to search for")
    canonical: dict[str, str] = {}
    if criteria.phonetic:
        # Read without the equivalence lock: a search during a table change sees the table
        # the stored keys were made with until the change commits.
        canonical = canonical_spellings(await equivalences_of(session, tenant))
    words = typed.split()[:MAX_WORDS]
    every_word: list[ColumnElement[bool]] = []
    word_scores: list[ColumnElement[Any]] = []
    for word in words:
        spellings = spelling_variants(word, canonical, MAX_VARIANTS) if canonical else [word]
        matches: list[ColumnElement[bool]] = []
        scores: list[ColumnElement[Any]] = []
        for at, spelling in enumerate(spellings):
            weight = 1.0 if at == 0 else VARIANT_WEIGHT
            matches.append(_contains(spelling))
            if criteria.fuzzy:
                similar = literal(spelling).op("<%", is_comparison=True)(members.c.search_name)
                matches.append(similar)
            scores.append(func.word_similarity(spelling, members.c.search_name) * weight)
        every_word.append(or_(*matches))
        word_scores.append(_greatest(scores))
    match: ColumnElement[bool] = and_(*every_word)
    score: ColumnElement[Any] = sum(word_scores[1:], word_scores[0]) / len(word_scores)
    if criteria.phonetic:
        # The whole name's key also catches equivalences that span words.
        same_key = members.c.phonetic_name == phonetic_key(criteria.q, canonical)
        match = or_(match, same_key)
        score = _greatest([score, case((same_key, VARIANT_WEIGHT), else_=0.0)])
    if criteria.fuzzy:
        # Local to this transaction: a pooled connection keeps no trace of it.
        await session.execute(
            select(func.set_config("pg_trgm.word_similarity_threshold", str(WORD_SIMILARITY), True))
        )
    return match, score


def _contains(word: str) -> ColumnElement[bool]:
    escaped = _like_escaped(word)
    if len(word) >= SUBSTRING_LENGTH:
        return members.c.search_name.like(f"%{escaped}%", escape="\\")
    # Too short for a trigram of its own: match the start of a word, which the index serves.
    return or_(
        members.c.search_name.like(f"{escaped}%", escape="\\"),
        members.c.search_name.like(f"% {escaped}%", escape="\\"),
    )


def _greatest(values: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    return values[0] if len(values) == 1 else func.greatest(*values)


async def _filters(
    session: AsyncSession, scope: Scope, criteria: Criteria
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if criteria.member_number is not None:
        where.append(members.c.member_number == criteria.member_number)
    if criteria.status:
        where.append(members.c.status == criteria.status)
    if criteria.postcode:
        where.append(members.c.postcode.in_(postcode_forms(criteria.postcode)))
    if criteria.email:
        # Stored lower case (the API lowers e-mails on the way in): equality keeps the index.
        where.append(members.c.email == criteria.email.strip().lower())
    if criteria.tag:
        where.append(members.c.tags.contains([criteria.tag.strip()]))
    if criteria.phone:
        where.append(_phone_matches(criteria.phone))
    if criteria.address:
        where.append(_address_matches(scope.tenant, criteria.address))
    if criteria.organisation_id is not None:
        where.append(await _in_organisation(session, scope, criteria))
    return where


def _phone_matches(phone: str) -> ColumnElement[bool]:
    """Phone or mobile is the number, with or without a country code on either side.

    No index serves this: the cheap test on the last digit (which stays last however a
    number is written) comes first, so the digits are worked out for a tenth of the rows.
    """
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 4:
        raise _invalid("phone", "at least 4 digits")
    # Stored numbers the query ends with: the query carries a country code they lack.
    shorter = [digits[-n:] for n in range(PHONE_SUFFIX_DIGITS, len(digits))]

    def on(column: Any) -> ColumnElement[bool]:
        stored = func.translate(column, PHONE_SEPARATORS, "")
        same: list[ColumnElement[bool]] = [
            # The stored number ends with the query: it carries a country code the query lacks.
            func.right(stored, len(digits)) == digits
            if len(digits) >= PHONE_SUFFIX_DIGITS
            else stored == digits
        ]
        if shorter:
            same.append(stored.in_(shorter))
        return and_(column.like(f"%{digits[-1]}"), or_(*same))

    return or_(on(members.c.phone), on(members.c.mobile))


def _address_matches(tenant: str, address: str) -> ColumnElement[bool]:
    """Every word typed appears in the address (or c/o line), or in an alternative address."""
    # Longest words first: they are the rarest, so the test fails early for most rows.
    typed = {w for w in _ADDRESS_WORDS.split(address.strip()) if w}
    words = sorted(typed, key=lambda w: (-len(w), w))[:8]
    if not words:
        raise _invalid("address", "no words to search for")
    patterns = [f"%{_like_escaped(w)}%" for w in words]
    own = func.concat_ws(" ", members.c.address, members.c.address_2)
    other = func.concat_ws(" ", alternative_addresses.c.address, alternative_addresses.c.address_2)
    # IN rather than EXISTS: the alternative addresses are searched once, not once per member.
    return or_(
        and_(*(own.ilike(p, escape="\\") for p in patterns)),
        members.c.id.in_(
            select(alternative_addresses.c.member_id).where(
                alternative_addresses.c.tenant == tenant,
                *(other.ilike(p, escape="\\") for p in patterns),
            )
        ),
    )


async def _in_organisation(
    session: AsyncSession, scope: Scope, criteria: Criteria
) -> ColumnElement[bool]:
    """Affiliated to the organisation or to any beneath it."""
    path = (
        await session.execute(
            select(organisations.c.path).where(
                organisations.c.tenant == scope.tenant,
                organisations.c.id == criteria.organisation_id,
            )
        )
    ).scalar_one_or_none()
    # An organisation outside the caller's subtrees and not above them is answered like an
    # unknown one: its existence is not the caller's business.
    if path is None or not (
        scope.covers_path(path) or any(p.startswith(path) for p in scope.paths)
    ):
        raise Problem(
            422,
            "unknown-organisation",
            "Unknown organisation",
            f"No organisation {criteria.organisation_id}.",
            errors=[{"field": "organisation_id", "message": "unknown organisation"}],
        )
    affiliation = affiliations.alias("wanted_affiliation")
    organisation = organisations.alias("wanted_organisation")
    conditions: list[ColumnElement[bool]] = [
        affiliation.c.member_id == members.c.id,
        organisation.c.path.startswith(path, autoescape=True),
    ]
    if criteria.current_affiliations:
        today = date.today()
        conditions += [
            affiliation.c.from_date <= today,
            or_(affiliation.c.to_date.is_(None), affiliation.c.to_date >= today),
        ]
    return exists(
        select(1)
        .select_from(
            affiliation.join(organisation, organisation.c.id == affiliation.c.organisation_id)
        )
        .where(*conditions)
    )


def _order(sort: SortKey, score: ColumnElement[Any]) -> list[UnaryExpression[Any] | Any]:
    number = members.c.member_number
    # The normalised name: case and accents do not scatter names, whatever the collation.
    name = members.c.search_name
    orders: dict[SortKey, list[Any]] = {
        "relevance": [score.desc(), number],
        "member_number": [number],
        "-member_number": [number.desc()],
        "name": [name, number],
        "-name": [name.desc(), number.desc()],
    }
    return orders[sort]
