"""POST /v1/imports: members and organisations from CSV, validated whole, written in chunks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from federa.members import imports_members_write
from federa.members.imports_members import MemberContext
from federa.members.imports_members_write import PreparedChunk
from federa.members.imports_store import Counts
from federa.shared.auth import Role
from federa.shared.contracts.members import (
    AFFILIATION_STARTED,
    MEMBER_REGISTERED,
    MEMBER_STATUS_CHANGED,
    MEMBER_UPDATED,
    ORGANISATION_CREATED,
)
from federa.shared.db import Database
from federa.shared.testing.harness import RunningService, eventually

ORGANISATIONS = """\
organisation_number;name;organisation_type;parent_number;parent_path;postcodes;email
30;Oslo;branch;20;;0150|0151;oslo@example.org
20;North;region;;Federation;;
10;Federation;federation;;;;
40;Bergen;branch;;Federation/North;5003;
"""

MEMBERS = """\
external_id;name;email;birth_date;postcode;city;street_name;street_no;category;status;\
organisation_number;organisation_external_ref;tags;value_units;gift_amount
A-1;Kristian Olsen;Kristian@Example.org;1980-02-03;9999;Oslo;Storgata;12;member;active;\
30;;board|youth;2;1500
A-2;Karin Nilsson;karin@example.org;;9998;Bergen;;;supporter;;\
;Federation/North/Bergen;;;
A-3;Per Hansen;;1975-12-24;;;;;;passive;\
40;;;;
"""


def csv_headers(members: RunningService, tenant: str, **extra: str) -> dict[str, str]:
    return {**members.auth(tenant=tenant), "Content-Type": "text/csv", **extra}


async def post_import(
    members: RunningService,
    tenant: str,
    body: str | bytes,
    kind: str = "members",
    **headers: str,
) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return await members.client.post(
        f"/v1/imports?kind={kind}", content=content, headers=csv_headers(members, tenant, **headers)
    )


async def finished(members: RunningService, tenant: str, import_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await members.client.get(
            f"/v1/imports/{import_id}", headers=members.auth(tenant=tenant)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["status"] in ("done", "rejected", "failed") else None

    result: dict[str, Any] = await eventually(probe, timeout=60)
    return result


async def run_import(
    members: RunningService, tenant: str, body: str, kind: str = "members"
) -> dict[str, Any]:
    response = await post_import(members, tenant, body, kind)
    assert response.status_code == 202, response.text
    return await finished(members, tenant, response.json()["id"])


async def rows(members: RunningService, sql: str, **params: object) -> list[Any]:
    async with members.runtime.db.sessions() as session:
        return list((await session.execute(text(sql), params)).all())


async def events(members: RunningService, tenant: str, event_type: str) -> list[dict[str, Any]]:
    found = await rows(
        members,
        "SELECT payload FROM outbox WHERE payload->>'tenant' = :t AND event_type = :e ORDER BY id",
        t=tenant,
        e=event_type,
    )
    return [r.payload for r in found]


async def organisation_ids(members: RunningService, tenant: str) -> dict[str, uuid.UUID]:
    found = await rows(members, "SELECT name, id FROM organisations WHERE tenant = :t", t=tenant)
    return {r.name: r.id for r in found}


@pytest.fixture
async def tree(members: RunningService, tenant: str) -> dict[str, uuid.UUID]:
    done = await run_import(members, tenant, ORGANISATIONS, kind="organisations")
    assert done["status"] == "done", done
    return await organisation_ids(members, tenant)


async def test_an_organisations_file_builds_the_tree_whatever_the_order_of_its_lines(
    members: RunningService, tenant: str
) -> None:
    done = await run_import(members, tenant, ORGANISATIONS, kind="organisations")
    assert (done["status"], done["created"], done["processed_rows"]) == ("done", 4, 4)
    response = await members.client.get(
        "/v1/organisations", params={"limit": 100}, headers=members.auth(tenant=tenant)
    )
    by_name = {o["name"]: o for o in response.json()["items"]}
    federation, north = by_name["Federation"]["id"], by_name["North"]["id"]
    assert by_name["Federation"]["organisation_number"] == 10
    assert by_name["Oslo"]["organisation_number"] == 30
    assert by_name["Oslo"]["ancestor_ids"] == [federation, north]
    assert by_name["Bergen"]["ancestor_ids"] == [federation, north]
    assert by_name["Oslo"]["email"] == "oslo@example.org"
    areas = await members.client.get(
        f"/v1/organisations/{by_name['Oslo']['id']}/areas", headers=members.auth(tenant=tenant)
    )
    assert areas.json()["postcodes"] == ["0150", "0151"]
    created = await events(members, tenant, ORGANISATION_CREATED.type)
    # Parents first, whatever the order of the lines.
    names = [e["data"]["name"] for e in created]
    assert names[:2] == ["Federation", "North"]
    assert sorted(names[2:]) == ["Bergen", "Oslo"]
    oslo = next(e["data"] for e in created if e["data"]["name"] == "Oslo")
    assert oslo["postcodes"] == ["0150", "0151"]

    # Numbers kept from the file; the next one drawn by the API lies above them.
    api = await members.client.post(
        "/v1/organisations",
        json={"name": "Tromsø", "organisation_type": "branch", "parent_id": north},
        headers=members.auth(tenant=tenant),
    )
    assert api.json()["organisation_number"] == 41

    again = await run_import(members, tenant, ORGANISATIONS, kind="organisations")
    assert (again["status"], again["created"], again["unchanged"]) == ("done", 0, 4)


async def test_a_members_file_registers_members_in_their_branches_with_their_events(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    done = await run_import(members, tenant, MEMBERS)
    assert done["status"] == "done", done["report"]
    assert (done["total_rows"], done["processed_rows"], done["created"]) == (3, 3, 3)
    assert done["report"] == []

    imported = await rows(
        members,
        "SELECT * FROM members WHERE tenant = :t ORDER BY member_number",
        t=tenant,
    )
    assert [(m.external_id, m.member_number) for m in imported] == [
        ("A-1", 1),
        ("A-2", 2),
        ("A-3", 3),
    ]
    kristian = imported[0]
    assert kristian.email == "kristian@example.org"
    assert kristian.address == "Storgata 12"
    assert kristian.tags == ["board", "youth"]
    assert (kristian.value_units, kristian.gift_amount, kristian.birth_year) == (2, 1500, 1980)
    assert kristian.organisation_id == tree["Oslo"]
    assert kristian.phonetic_name != ""
    assert imported[1].status == "active"  # the default when the cell is empty
    assert imported[2].status == "passive"

    links = await rows(
        members,
        "SELECT member_id, organisation_id, source FROM affiliations WHERE tenant = :t",
        t=tenant,
    )
    oslo = {(r.organisation_id, r.source) for r in links if r.member_id == kristian.id}
    assert oslo == {
        (tree["Oslo"], "import"),
        (tree["North"], "ancestor"),
        (tree["Federation"], "ancestor"),
    }
    assert len(links) == 9

    registered = await events(members, tenant, MEMBER_REGISTERED.type)
    assert [e["subject"] for e in registered] == [str(m.id) for m in imported]
    first = registered[0]["data"]
    assert first["member_number"] == 1
    assert first["organisation_ids"] == sorted(
        str(tree[n]) for n in ("Federation", "North", "Oslo")
    )
    assert len(await events(members, tenant, AFFILIATION_STARTED.type)) == 9
    history = await rows(members, "SELECT action FROM member_history WHERE tenant = :t", t=tenant)
    assert {h.action for h in history} == {"imported"}

    # The envelopes are those registration writes: same attributes, same data fields.
    api = await members.client.post(
        "/v1/members",
        json={"name": "Liv Berg", "organisation_id": str(tree["Oslo"])},
        headers=members.auth(tenant=tenant),
    )
    assert api.status_code == 201, api.text
    by_api = (await events(members, tenant, MEMBER_REGISTERED.type))[-1]
    assert set(by_api) == set(registered[0])
    assert set(by_api["data"]) == set(first)
    assert by_api["data"]["member_number"] == 4


async def test_a_file_with_bad_lines_is_rejected_with_every_bad_line_and_imports_nothing(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    outbox_before = len(await rows(members, "SELECT id FROM outbox"))
    body = (
        "external_id,name,email,category,organisation_number,birth_date\n"
        "B-1,Anna Dahl,anna@example.org,member,30,1990-01-01\n"
        "B-2,Bo Ek,not-an-address,member,30,1990-01-01\n"
        "B-3,Cai Falk,cai@example.org,member,30,1990-01-01\n"
        "B-4,Dan Gran,dan@example.org,astronaut,99,2990-01-01\n"
        "B-1,Eva Holm,eva@example.org,member,30,\n"
    )
    done = await run_import(members, tenant, body)
    assert done["status"] == "rejected"
    assert done["rejected"] == 3
    assert (done["processed_rows"], done["created"]) == (0, 0)
    found = {(e["line"], e["field"]) for e in done["report"]}
    assert found == {
        (3, "email"),
        (5, "birth_date"),
        (6, "external_id"),
    }
    # Fixing the date shows the line's other problems, each with its field.
    body = body.replace("2990-01-01", "1990-01-01")
    again = await run_import(members, tenant, body)
    assert {(e["line"], e["field"]) for e in again["report"]} >= {
        (5, "category"),
        (5, "organisation_number"),
    }
    assert await rows(members, "SELECT id FROM members WHERE tenant = :t", t=tenant) == []
    assert len(await rows(members, "SELECT id FROM outbox")) == outbox_before


async def test_the_same_idempotency_key_returns_the_first_import(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    first = await post_import(members, tenant, MEMBERS, **{"Idempotency-Key": "migration-1"})
    assert first.status_code == 202
    assert first.headers["location"] == f"/v1/imports/{first.json()['id']}"
    await finished(members, tenant, first.json()["id"])
    second = await post_import(members, tenant, MEMBERS, **{"Idempotency-Key": "migration-1"})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["created"] == 3
    other = await post_import(
        members, tenant, MEMBERS.replace("Per", "Pål"), **{"Idempotency-Key": "migration-1"}
    )
    assert other.status_code == 409
    assert other.json()["type"].endswith("/idempotency-key-reused")
    count = await rows(members, "SELECT count(*) AS n FROM members WHERE tenant = :t", t=tenant)
    assert count[0].n == 3
    listed = await members.client.get(
        "/v1/imports", params={"kind": "members"}, headers=members.auth(tenant=tenant)
    )
    assert listed.json()["total"] == 1
    assert "report" not in listed.json()["items"][0]


async def test_importing_the_same_file_again_changes_nothing(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    await run_import(members, tenant, MEMBERS)
    outbox_before = len(await rows(members, "SELECT id FROM outbox"))
    again = await run_import(members, tenant, MEMBERS)
    assert again["status"] == "done"
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert len(await rows(members, "SELECT id FROM outbox")) == outbox_before


async def test_a_changed_line_updates_its_member_by_the_api_rules(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    await run_import(members, tenant, MEMBERS)
    changed = MEMBERS.replace("karin@example.org", "karin.nilsson@example.org").replace(
        ";passive;", ";left;"
    )
    done = await run_import(members, tenant, changed)
    assert (done["created"], done["updated"], done["unchanged"]) == (0, 2, 1)
    [updated] = await events(members, tenant, MEMBER_UPDATED.type)
    assert updated["data"]["changed_fields"] == ["email"]
    assert updated["data"]["email"] == "karin.nilsson@example.org"
    assert updated["aggregateversion"] == 2
    [status] = await events(members, tenant, MEMBER_STATUS_CHANGED.type)
    assert (status["data"]["previous_status"], status["data"]["status"]) == ("passive", "left")
    history = await rows(
        members,
        "SELECT h.action FROM member_history h JOIN members m ON m.id = h.member_id "
        "WHERE m.tenant = :t AND m.external_id = 'A-2' ORDER BY h.version",
        t=tenant,
    )
    assert [h.action for h in history] == ["imported", "updated"]


async def test_a_member_named_in_another_branch_joins_it(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    await run_import(members, tenant, MEMBERS)
    moved = MEMBERS.replace(";passive;40;", ";passive;30;")
    assert moved != MEMBERS
    done = await run_import(members, tenant, moved)
    assert (done["updated"], done["unchanged"]) == (1, 2)
    per = await rows(
        members,
        "SELECT a.organisation_id, a.source FROM affiliations a JOIN members m "
        "ON m.id = a.member_id WHERE m.external_id = 'A-3' AND m.tenant = :t",
        t=tenant,
    )
    assert (tree["Oslo"], "import") in {(r.organisation_id, r.source) for r in per}
    assert (tree["Bergen"], "import") in {(r.organisation_id, r.source) for r in per}


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (b"external_id;name\nC-1;Ann\nC-2;Bj\xf8rn\n", 3, "UTF-8"),
        (b"", 1, "header"),
        (b"external_id;name\n", 2, "no data rows"),
        (b"external_id;name;shoe_size\nC-1;Ann;44\n", 1, "shoe_size"),
        (b"name;email\nAnn;ann@example.org\n", 1, "external_id"),
        (b"external_id;name;name\nC-1;Ann;Ann\n", 1, "twice"),
        (b"external_id;name\nC-1;Ann\nC-2;Bo;extra\nC-3;Cai\n", 3, "3 fields"),
        (b'external_id,name\nC-1,"Ann\nC-2,Bo\n', 3, "CSV"),
    ],
)
async def test_a_malformed_file_is_a_422_problem_naming_the_line(
    members: RunningService, tenant: str, body: bytes, line: int, words: str
) -> None:
    response = await post_import(members, tenant, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/malformed-csv")
    assert problem["errors"][0]["line"] == line
    assert words in problem["detail"]
    listed = await members.client.get("/v1/imports", headers=members.auth(tenant=tenant))
    assert listed.json()["total"] == 0


async def test_a_file_must_be_sent_as_csv(members: RunningService, tenant: str) -> None:
    response = await members.client.post(
        "/v1/imports?kind=members",
        json={"external_id": "x"},
        headers=members.auth(tenant=tenant),
    )
    assert response.status_code == 415


@pytest.mark.parametrize("role", [Role.READ, Role.MEMBER_CARD])
async def test_only_the_superuser_imports_or_reads_imports(
    members: RunningService, tenant: str, role: Role
) -> None:
    headers = {**members.auth(role, tenant=tenant), "Content-Type": "text/csv"}
    response = await members.client.post(
        "/v1/imports?kind=members", content=MEMBERS.encode(), headers=headers
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")
    listed = await members.client.get("/v1/imports", headers=members.auth(role, tenant=tenant))
    assert listed.status_code == 403


async def test_a_caller_scoped_to_a_subtree_imports_only_into_it(
    members: RunningService, tenant: str, tree: dict[str, uuid.UUID]
) -> None:
    token = members.token(Role.SUPERUSER, tenant=tenant, orgs=(str(tree["Oslo"]),))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    response = await members.client.post(
        "/v1/imports?kind=members", content=MEMBERS.encode(), headers=headers
    )
    done = await finished(members, tenant, response.json()["id"])
    assert done["status"] == "rejected"
    assert {(e["line"], e["field"]) for e in done["report"]} == {
        (3, "organisation_external_ref"),
        (4, "organisation_number"),
    }


async def test_progress_adds_up_over_many_chunks(
    members: RunningService,
    tenant: str,
    tree: dict[str, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports_members_write, "CHUNK_ROWS", 3)
    lines = [f"D-{i},Member {i},30" for i in range(10)]
    body = "external_id,name,organisation_number\n" + "\n".join(lines) + "\n"
    done = await run_import(members, tenant, body)
    assert done["status"] == "done"
    assert done["total_rows"] == done["processed_rows"] == 10
    assert done["created"] + done["updated"] + done["unchanged"] == done["processed_rows"]
    numbers = await rows(
        members, "SELECT member_number FROM members WHERE tenant = :t ORDER BY 1", t=tenant
    )
    assert [n.member_number for n in numbers] == list(range(1, 11))


async def test_an_import_that_died_half_way_is_completed_by_posting_the_file_again(
    members: RunningService,
    tenant: str,
    tree: dict[str, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports_members_write, "CHUNK_ROWS", 2)
    write_chunk = imports_members_write.write_chunk
    calls = 0

    async def dies_at_the_third_chunk(
        db: Database, ctx: MemberContext, import_id: uuid.UUID, chunk: PreparedChunk
    ) -> Counts:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionError("the process died")
        return await write_chunk(db, ctx, import_id, chunk)

    monkeypatch.setattr(imports_members_write, "write_chunk", dies_at_the_third_chunk)
    lines = [f"E-{i},Member {i},30" for i in range(7)]
    body = "external_id,name,organisation_number\n" + "\n".join(lines) + "\n"
    broken = await run_import(members, tenant, body)
    assert broken["status"] == "failed"
    assert (broken["processed_rows"], broken["created"]) == (4, 4)
    assert "the process died" in broken["report"][0]["message"]

    monkeypatch.setattr(imports_members_write, "write_chunk", write_chunk)
    again = await run_import(members, tenant, body)
    assert (again["status"], again["created"], again["unchanged"]) == ("done", 3, 4)
    imported = await rows(members, "SELECT external_id FROM members WHERE tenant = :t", t=tenant)
    assert sorted(m.external_id for m in imported) == sorted(f"E-{i}" for i in range(7))
    registered = await events(members, tenant, MEMBER_REGISTERED.type)
    assert len({e["subject"] for e in registered}) == len(registered) == 7


async def test_members_imported_after_the_spellings_change_are_keyed_by_the_new_ones(
    members: RunningService,
    tenant: str,
    tree: dict[str, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports_members_write, "CHUNK_ROWS", 2)
    write_chunk = imports_members_write.write_chunk
    calls = 0

    async def spellings_change_before_the_second_chunk(
        db: Database, ctx: MemberContext, import_id: uuid.UUID, chunk: PreparedChunk
    ) -> Counts:
        nonlocal calls
        calls += 1
        if calls == 2:
            response = await members.client.put(
                "/v1/phonetic-equivalences",
                json=[{"fragment": "Christian", "phonetic": "Kristian"}],
                headers=members.auth(tenant=tenant),
            )
            assert response.status_code == 200, response.text
        return await write_chunk(db, ctx, import_id, chunk)

    monkeypatch.setattr(
        imports_members_write, "write_chunk", spellings_change_before_the_second_chunk
    )
    body = (
        "external_id,name,organisation_number\n"
        "K-1,Christian Berg,30\nK-2,Kristian Berg,30\n"
        "K-3,Christian Dahl,30\nK-4,Kristian Dahl,30\n"
    )
    assert (await run_import(members, tenant, body))["status"] == "done"
    keys = {
        r.external_id: r.phonetic_name
        for r in await rows(
            members, "SELECT external_id, phonetic_name FROM members WHERE tenant = :t", t=tenant
        )
    }
    assert keys["K-1"] == keys["K-2"]
    assert keys["K-3"] == keys["K-4"]
