"""GET /v1/members/search: every criterion, phonetic and typo-tolerant names, pagination,
sorting, and the caller's subtree as the outer limit of every answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from federa.shared.auth import Role
from federa.shared.testing.harness import RunningService
from services.members.tests.conftest import Tree

SEARCH = "/v1/members/search"


async def _register(members: RunningService, tenant: str, name: str, **fields: Any) -> Any:
    response = await members.client.post(
        "/v1/members",
        json={"name": name, "confirm_duplicate": True, **fields},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _search(
    members: RunningService, tenant: str, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    response = await members.client.get(
        SEARCH, params=params, headers=headers or members.auth(tenant=tenant)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _names(members: RunningService, tenant: str, **params: Any) -> list[str]:
    return [m["name"] for m in (await _search(members, tenant, **params))["items"]]


async def _equivalences(members: RunningService, tenant: str, *pairs: tuple[str, str]) -> None:
    response = await members.client.put(
        "/v1/phonetic-equivalences",
        json=[{"fragment": a, "phonetic": b} for a, b in pairs],
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 200, response.text


async def test_the_search_path_is_not_taken_for_a_member_id(
    members: RunningService, tenant: str
) -> None:
    await _register(members, tenant, "Anna Berg")
    page = await _search(members, tenant)
    assert page["total"] == 1
    assert page["limit"] == 50
    assert page["offset"] == 0
    [hit] = page["items"]
    assert hit["name"] == "Anna Berg"
    assert hit["score"] is None
    assert hit["member_number"] == 1


async def test_a_name_with_a_typo_is_found_and_an_unrelated_one_is_not(
    members: RunningService, tenant: str
) -> None:
    await _register(members, tenant, "Ole Kristiansn")
    await _register(members, tenant, "Per Jensen")
    page = await _search(members, tenant, q="Kristiansen")
    assert [m["name"] for m in page["items"]] == ["Ole Kristiansn"]
    assert 0 < page["items"][0]["score"] < 1
    assert await _names(members, tenant, q="Kristiansen", fuzzy="false") == []


async def test_part_of_a_name_is_enough(members: RunningService, tenant: str) -> None:
    await _register(members, tenant, "Søren Ærbøl Hansen")
    assert await _names(members, tenant, q="hansen", fuzzy="false") == ["Søren Ærbøl Hansen"]
    # Nordic letters are folded the same way in the query and the stored name.
    assert await _names(members, tenant, q="Soeren", fuzzy="false") == ["Søren Ærbøl Hansen"]
    assert await _names(members, tenant, q="ærbøl", fuzzy="false") == ["Søren Ærbøl Hansen"]


async def test_a_short_word_matches_the_start_of_a_word(
    members: RunningService, tenant: str
) -> None:
    await _register(members, tenant, "Bo Dahl")
    await _register(members, tenant, "Jacob Berg")
    await _register(members, tenant, "Anne Bodilsen")
    assert await _names(members, tenant, q="bo") == ["Bo Dahl", "Anne Bodilsen"]
    assert await _names(members, tenant, q="bo", fuzzy="false") == ["Bo Dahl", "Anne Bodilsen"]


async def test_the_tenants_equivalences_find_other_spellings(
    members: RunningService, tenant: str
) -> None:
    await _register(members, tenant, "Kristian Holm")
    # Typo tolerance alone would find it; the phonetic part is seen with fuzzy off.
    assert await _names(members, tenant, q="Christian", fuzzy="false") == []
    await _equivalences(members, tenant, ("k", "ch"))
    assert await _names(members, tenant, q="Christian", fuzzy="false") == ["Kristian Holm"]
    assert await _names(members, tenant, q="Christian Holm", fuzzy="false") == ["Kristian Holm"]
    assert await _names(members, tenant, q="Christian", fuzzy="false", phonetic="false") == []


async def test_the_spelling_typed_ranks_before_its_equivalents(
    members: RunningService, tenant: str
) -> None:
    await _equivalences(members, tenant, ("kristian", "christian"))
    await _register(members, tenant, "Kristian Holm")
    await _register(members, tenant, "Christian Holm")
    await _register(members, tenant, "Kirsten Holm")
    page = await _search(members, tenant, q="Christian Holm", fuzzy="false")
    assert [m["name"] for m in page["items"]] == ["Christian Holm", "Kristian Holm"]
    first, second = (m["score"] for m in page["items"])
    assert first == 1.0
    assert second < first


async def test_each_filter_narrows_the_result(members: RunningService, tenant: str) -> None:
    anna = await _register(
        members,
        tenant,
        "Anna Berg",
        street_name="Vestergade",
        street_no="12",
        street_letter="B",
        floor="2",
        floor_side="th",
        postcode="8000",
        email="Anna.Berg@Example.org",
        phone="+45 12 34 56 78",
        tags=["choir", "board"],
    )
    bo = await _register(
        members,
        tenant,
        "Bo Dahl",
        address="Østergade 4",
        postcode="NO-0150",
        mobile="87 65 43 21",
        tags=["choir"],
        status="passive",
    )
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"member_number": anna["member_number"]}, ["Anna Berg"]),
        ({"address": "vestergade 12 b"}, ["Anna Berg"]),
        ({"address": "vestergade 12B"}, ["Anna Berg"]),
        ({"address": "Vestergade 14"}, []),
        ({"address": "østergade"}, ["Bo Dahl"]),
        ({"postcode": "8000"}, ["Anna Berg"]),
        ({"postcode": "no-0150"}, ["Bo Dahl"]),
        ({"email": "ANNA.BERG@example.ORG"}, ["Anna Berg"]),
        ({"email": "anna@example.org"}, []),
        ({"phone": "12345678"}, ["Anna Berg"]),
        ({"phone": "+45 12-34-56-78"}, ["Anna Berg"]),
        ({"phone": "0045 87654321"}, ["Bo Dahl"]),
        ({"phone": "5678"}, []),
        ({"tag": "choir"}, ["Anna Berg", "Bo Dahl"]),
        ({"tag": "board"}, ["Anna Berg"]),
        ({"status": "passive"}, ["Bo Dahl"]),
        ({"status": "passive", "tag": "board"}, []),
    ]
    for params, expected in cases:
        assert await _names(members, tenant, **params) == expected, params
    assert bo["member_number"] == anna["member_number"] + 1


async def test_an_alternative_address_is_searched_too(members: RunningService, tenant: str) -> None:
    member = await _register(members, tenant, "Eva Lund", address="Storgade 1", postcode="5000")
    async with members.runtime.db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO alternative_addresses (id, tenant, member_id, address_no,"
                " address_type, address, country_code, created_by) VALUES (gen_random_uuid(),"
                " :t, :m, 1, 'holiday', 'Strandvejen 99', 'DK', 'test')"
            ),
            {"t": tenant, "m": member["id"]},
        )
    assert await _names(members, tenant, address="strandvejen 99") == ["Eva Lund"]


async def test_pages_and_sort_orders(members: RunningService, tenant: str) -> None:
    for name in ("Cecilie", "anders", "Åse", "Bent", "Dorte"):
        await _register(members, tenant, name)
    page = await _search(members, tenant, limit=2, offset=2)
    assert page["total"] == 5
    assert [m["member_number"] for m in page["items"]] == [3, 4]
    assert [
        m["member_number"] for m in (await _search(members, tenant, sort="-member_number"))["items"]
    ] == [5, 4, 3, 2, 1]
    # By the normalised name: case does not matter, Å is read as "aa".
    assert await _names(members, tenant, sort="name") == [
        "Åse",
        "anders",
        "Bent",
        "Cecilie",
        "Dorte",
    ]
    assert await _names(members, tenant, sort="-name") == [
        "Dorte",
        "Cecilie",
        "Bent",
        "anders",
        "Åse",
    ]
    assert await _names(members, tenant, sort="name", limit=2, offset=1) == ["anders", "Bent"]


async def test_relevance_orders_by_score(members: RunningService, tenant: str) -> None:
    await _register(members, tenant, "Hanne Madsen")
    await _register(members, tenant, "Hans Madsen")
    await _register(members, tenant, "Hansine Madsen")
    page = await _search(members, tenant, q="Hans Madsen")
    names = [m["name"] for m in page["items"]]
    assert names[0] == "Hans Madsen"
    scores = [m["score"] for m in page["items"]]
    assert scores == sorted(scores, reverse=True)
    by_number = await _search(members, tenant, q="Hans Madsen", sort="member_number")
    assert [m["member_number"] for m in by_number["items"]] == sorted(
        m["member_number"] for m in page["items"]
    )


async def test_a_branch_officer_only_ever_finds_their_subtree(tree: Tree) -> None:
    members, tenant = tree.members, tree.tenant
    await tree.register("Karen Nord", "a", postcode="8000", tags=["choir"])
    await tree.register("Karen Syd", "c", postcode="8000", tags=["choir"])
    officer_a = tree.officer("a", role=Role.READ)
    for params in (
        {},
        {"q": "Karen"},
        {"q": "Karen Syd"},
        {"postcode": "8000"},
        {"tag": "choir"},
        {"organisation_id": str(tree.ids["federation"])},
    ):
        page = await _search(members, tenant, headers=officer_a, **params)
        assert [m["name"] for m in page["items"]] == (
            [] if params.get("q") == "Karen Syd" else ["Karen Nord"]
        ), params
        assert page["total"] == len(page["items"])
    # Another branch's id is answered as if it did not exist.
    response = await members.client.get(
        SEARCH, params={"organisation_id": str(tree.ids["c"])}, headers=officer_a
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("/unknown-organisation")
    nobody = await _search(members, tenant, headers=tree.officer("south", role=Role.READ))
    assert [m["name"] for m in nobody["items"]] == ["Karen Syd"]


async def test_organisation_filter_takes_the_subtree(tree: Tree) -> None:
    members, tenant = tree.members, tree.tenant
    await tree.register("Anna A", "a")
    await tree.register("Bo B", "b")
    await tree.register("Cai C", "c")
    by_org = {
        org: await _names(members, tenant, organisation_id=str(tree.ids[org]))
        for org in ("federation", "north", "south", "a", "b")
    }
    assert by_org == {
        "federation": ["Anna A", "Bo B", "Cai C"],
        "north": ["Anna A", "Bo B"],
        "south": ["Cai C"],
        "a": ["Anna A"],
        "b": ["Bo B"],
    }


async def test_ended_affiliations_count_only_when_asked(tree: Tree) -> None:
    members, tenant = tree.members, tree.tenant
    gone = await tree.register("Gunnar Gone", "a")
    async with members.runtime.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE affiliations SET to_date = current_date - 1, from_date = current_date - 30"
                " WHERE member_id = :m"
            ),
            {"m": gone["id"]},
        )
    org = str(tree.ids["a"])
    assert await _names(members, tenant, organisation_id=org) == []
    assert await _names(members, tenant, organisation_id=org, affiliation="any") == ["Gunnar Gone"]


async def test_erased_members_are_left_out_unless_a_superuser_asks(
    members: RunningService, tenant: str
) -> None:
    erased = await _register(members, tenant, "Erik Erased")
    await _register(members, tenant, "Erna Kept")
    async with members.runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE members SET erased_at = now() WHERE id = :m"), {"m": erased["id"]}
        )
    assert await _names(members, tenant) == ["Erna Kept"]
    assert await _names(members, tenant, include_erased="true") == ["Erik Erased", "Erna Kept"]
    response = await members.client.get(
        SEARCH,
        params={"include_erased": "true"},
        headers=members.auth(Role.MEMBER_CARD, tenant=tenant),
    )
    assert response.status_code == 403


async def test_another_tenants_members_are_never_found(
    members: RunningService, tenant: str
) -> None:
    await _register(members, f"{tenant}-other", "Olga Other")
    assert await _names(members, tenant, q="Olga Other") == []
    assert await _names(members, tenant) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "relevance"}, "sort"),
        ({"sort": "age"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"q": "!!!"}, "q"),
        ({"phone": "12-3"}, "phone"),
        ({"member_number": "x"}, "member_number"),
        ({"organisation_id": "branch-7"}, "organisation_id"),
        ({"affiliation": "sometimes"}, "affiliation"),
    ],
)
async def test_bad_criteria_are_a_422_problem_naming_the_parameter(
    members: RunningService, tenant: str, params: dict[str, Any], field: str
) -> None:
    response = await members.client.get(SEARCH, params=params, headers=members.auth(tenant=tenant))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in e["field"] for e in response.json()["errors"])


async def test_search_needs_read_permission(members: RunningService, tenant: str) -> None:
    assert (await members.client.get(SEARCH)).status_code == 401
    reader = members.auth(Role.READ, tenant=tenant)
    assert (await members.client.get(SEARCH, headers=reader)).status_code == 200
