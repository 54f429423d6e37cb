"""Allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*) end to end: the
rules versioned and audited, organisation types from `members.organisation.*`, areas owned by
billing, members counted per organisation subtree, a batch per reference date, approval
publishing one `billing.allocation_grant.calculated` per grant, scoping and idempotency."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from federa.shared.auth import Role
from federa.shared.contracts.billing import (
    ALLOCATION_GRANT_CALCULATED,
    ALLOCATION_GRANT_RULES_UPDATED,
)
from federa.shared.contracts.members import (
    MEMBER_REGISTERED,
    ORGANISATION_CREATED,
    ORGANISATION_UPDATED,
    MemberRegisteredV1,
    OrganisationStateV1,
)
from federa.shared.envelope import new_event

from .conftest import Billing

# name: (type, parent)
ORGANISATIONS = {
    "federation": ("federation", None),
    "north": ("region", "federation"),
    "a": ("branch", "north"),
    "s": ("section", "a"),
    "b": ("branch", "north"),
    "k": ("club", "federation"),
}
RULES = {
    "org_type_1": "branch",
    "org_type_2": "club",
    "min_members": 3,
    "base_amount_large_type1": 100000,
    "amount_per_member": 1000,
    "base_amount_small_type1": 50000,
    "amount_type2": 20000,
}


class Federation:
    """The organisations above, with their types, as the members service publishes them."""

    def __init__(self, api: Billing) -> None:
        self.api = api
        self.ids = {name: uuid.uuid4() for name in ORGANISATIONS}

    def ancestors(self, name: str) -> list[uuid.UUID]:
        chain: list[uuid.UUID] = []
        parent = ORGANISATIONS[name][1]
        while parent is not None:
            chain.insert(0, self.ids[parent])
            parent = ORGANISATIONS[parent][1]
        return chain

    async def publish(self, name: str, *, kind: str | None = None, version: int = 1) -> None:
        organisation_type, parent = ORGANISATIONS[name]
        data = OrganisationStateV1(
            organisation_id=self.ids[name],
            organisation_number=1,
            name=name,
            organisation_type=kind or organisation_type,
            parent_id=None if parent is None else self.ids[parent],
            ancestor_ids=self.ancestors(name),
        )
        spec = ORGANISATION_CREATED if version == 1 else ORGANISATION_UPDATED
        event = new_event(
            spec,
            data,
            subject=str(self.ids[name]),
            tenant=self.api.tenant,
            aggregate_version=version,
        )
        assert await self.api.service.runtime.consumer.handle(event.to_json()) == "applied"

    async def member(self, *names: str, status: str = "active") -> uuid.UUID:
        """A member affiliated to `names` (and, as members lists them, their ancestors)."""
        affiliations: list[uuid.UUID] = []
        for name in names:
            for org in (self.ids[name], *self.ancestors(name)):
                if org not in affiliations:
                    affiliations.append(org)
        member_id = uuid.uuid4()
        data = MemberRegisteredV1(
            member_id=member_id,
            member_number=1,
            name="Member",
            status=status,
            enrolment_date=date(2024, 1, 1),
            organisation_id=self.ids[names[0]],
            organisation_ids=affiliations,
            registered_at=datetime.now(UTC),
            registered_by="test",
        )
        event = new_event(
            MEMBER_REGISTERED,
            data,
            subject=str(member_id),
            tenant=self.api.tenant,
            aggregate_version=1,
        )
        assert await self.api.service.runtime.consumer.handle(event.to_json()) == "applied"
        return member_id

    def officer(self, *names: str) -> dict[str, str]:
        return self.api.headers(Role.MEMBER_CARD, orgs=tuple(str(self.ids[n]) for n in names))


async def federation(api: Billing) -> Federation:
    fed = Federation(api)
    for name in ORGANISATIONS:
        await fed.publish(name)
    return fed


def by_org(fed: Federation, batch: dict[str, Any]) -> dict[str, tuple[int, str, int]]:
    names = {str(v): k for k, v in fed.ids.items()}
    return {
        names[g["organisation_id"]]: (g["members"], g["rule"], g["amount"]) for g in batch["grants"]
    }


async def test_grant_rules_are_validated_versioned_and_audited(api: Billing) -> None:
    first = await api.call("GET", "/v1/allocation-grant-rules")
    assert first["version"] == 0
    assert first["min_members"] is None
    assert first["member_statuses"] == ["active"]

    for bad, kind in (
        ({**RULES, "amount_per_member": -1}, None),
        ({**RULES, "min_members": 0}, None),
        ({"org_type_1": "branch", "base_amount_small_type1": 5}, "invalid-grant-rules"),
        ({"org_type_1": "branch", "org_type_2": "branch"}, "invalid-grant-rules"),
    ):
        problem = await api.call("PUT", "/v1/allocation-grant-rules", bad, expect=422)
        if kind is not None:
            assert problem["type"].endswith(f"/{kind}")
    # Only the federation's setup may change them.
    officer = api.headers(Role.MEMBER_CARD, orgs=(str(uuid.uuid4()),))
    await api.call("PUT", "/v1/allocation-grant-rules", RULES, expect=403, headers=officer)
    assert (await api.call("GET", "/v1/allocation-grant-rules"))["version"] == 0
    assert await api.outbox(ALLOCATION_GRANT_RULES_UPDATED.type) == []

    saved = await api.call("PUT", "/v1/allocation-grant-rules", RULES)
    assert saved["version"] == 1
    assert saved["amount_per_member"] == 1000
    assert saved["amount_per_km2"] is None
    again = await api.call("PUT", "/v1/allocation-grant-rules", RULES)
    assert again["version"] == 1
    changed = await api.call(
        "PUT", "/v1/allocation-grant-rules", {**RULES, "min_members": 50, "amount_per_km2": 0}
    )
    assert changed["version"] == 2

    events = await api.outbox(ALLOCATION_GRANT_RULES_UPDATED.type)
    assert [e["aggregateversion"] for e in events] == [1, 2]
    assert sorted(events[1]["data"]["changed_fields"]) == ["amount_per_km2", "min_members"]
    revisions = await api.call("GET", "/v1/allocation-grant-rules/revisions")
    assert [(r["version"], r["rules"]["min_members"]) for r in revisions] == [(2, 50), (1, 3)]
    assert (await api.call("GET", "/v1/allocation-grant-rules"))["min_members"] == 50


async def test_a_batch_grants_per_organisation_and_approval_publishes_it_for_payout(
    api: Billing,
) -> None:
    fed = await federation(api)
    # Branch a: two members and one of its section s (counted for a), a passive member (not
    # counted), one member of a and s at once (counted once): 4 → large.
    await fed.member("a")
    await fed.member("a")
    await fed.member("s")
    await fed.member("a", "s")
    await fed.member("a", status="passive")
    # Branch b: 2 → small; club k: 1; region north is of neither type: no grant.
    await fed.member("b")
    await fed.member("b")
    await fed.member("k")
    await api.call("PUT", "/v1/allocation-grant-rules", RULES)

    batch = await api.call(
        "POST",
        "/v1/allocation-grant-batches",
        {"reference_date": "2026-01-01"},
        expect=201,
        headers={**api.headers(), "Idempotency-Key": "grants-2026"},
    )
    assert batch["status"] == "calculated"
    assert batch["rules_version"] == 1
    assert by_org(fed, batch) == {
        "a": (4, "large_type1", 100000 + 4 * 1000),
        "b": (2, "small_type1", 50000),
        "k": (1, "type2", 20000),
    }
    assert batch["total"] == 104000 + 50000 + 20000
    # Nothing is paid before a treasurer approves.
    assert await api.outbox(ALLOCATION_GRANT_CALCULATED.type) == []

    # The same date, or the same key, is the same batch; the key with another date is not.
    same = await api.call("POST", "/v1/allocation-grant-batches", {"reference_date": "2026-01-01"})
    assert same["id"] == batch["id"]
    keyed = await api.call(
        "POST",
        "/v1/allocation-grant-batches",
        {"reference_date": "2026-01-01"},
        headers={**api.headers(), "Idempotency-Key": "grants-2026"},
    )
    assert keyed["id"] == batch["id"]
    reused = await api.call(
        "POST",
        "/v1/allocation-grant-batches",
        {"reference_date": "2027-01-01"},
        expect=422,
        headers={**api.headers(), "Idempotency-Key": "grants-2026"},
    )
    assert reused["type"].endswith("/idempotency-key-reused")
    assert await api.count("allocation_grant_batches", "tenant = :t", t=api.tenant) == 1

    approved = await api.call("POST", f"/v1/allocation-grant-batches/{batch['id']}/approve")
    assert approved["status"] == "approved"
    assert approved["approved_by"]
    events = await api.outbox(ALLOCATION_GRANT_CALCULATED.type)
    assert {e["data"]["organisation_id"]: e["data"]["amount"] for e in events} == {
        str(fed.ids["a"]): 104000,
        str(fed.ids["b"]): 50000,
        str(fed.ids["k"]): 20000,
    }
    a_event = next(e for e in events if e["data"]["organisation_id"] == str(fed.ids["a"]))
    assert (a_event["data"]["members"], a_event["data"]["rule"]) == (4, "large_type1")
    assert a_event["data"]["reference_date"] == "2026-01-01"
    # Approving again publishes nothing more; an approved batch cannot be discarded.
    await api.call("POST", f"/v1/allocation-grant-batches/{batch['id']}/approve")
    assert len(await api.outbox(ALLOCATION_GRANT_CALCULATED.type)) == 3
    problem = await api.call("DELETE", f"/v1/allocation-grant-batches/{batch['id']}", expect=409)
    assert problem["type"].endswith("/allocation-grant-batch-approved")

    # A branch officer sees only its own grant.
    page = await api.call("GET", "/v1/allocation-grants", headers=fed.officer("b"))
    assert [g["organisation_id"] for g in page["items"]] == [str(fed.ids["b"])]
    assert page["items"][0]["status"] == "approved"
    a_grant = next(g for g in batch["grants"] if g["organisation_id"] == str(fed.ids["a"]))
    await api.call(
        "GET", f"/v1/allocation-grants/{a_grant['id']}", expect=404, headers=fed.officer("b")
    )
    one = await api.call(
        "GET", f"/v1/allocation-grants/{a_grant['id']}", headers=fed.officer("north")
    )
    assert one["amount"] == 104000
    assert "4 x 1000" in one["explanation"]
    seen = await api.call(
        "GET", f"/v1/allocation-grant-batches/{batch['id']}", headers=fed.officer("b")
    )
    assert (seen["grant_count"], seen["total"]) == (1, 50000)
    batches = await api.call("GET", "/v1/allocation-grant-batches", headers=fed.officer("north"))
    assert [(b["grant_count"], b["total"]) for b in batches["items"]] == [(2, 154000)]
    paged = await api.call("GET", "/v1/allocation-grants", params={"limit": 1})
    assert (paged["total"], len(paged["items"])) == (3, 1)


async def test_fallbacks_per_area_and_per_type_1_organisation_and_recalculating_a_draft(
    api: Billing,
) -> None:
    fed = await federation(api)
    await fed.member("a")
    profile = await api.call(
        "PUT", f"/v1/organisations/{fed.ids['a']}/grant-profile", {"area_km2": "12.5"}
    )
    assert (profile["organisation_type"], profile["area_km2"], profile["version"]) == (
        "branch",
        "12.500",
        1,
    )
    per_km2 = {"org_type_1": "branch", "org_type_2": "club", "amount_per_km2": 200}
    await api.call("PUT", "/v1/allocation-grant-rules", per_km2)

    draft = await api.call(
        "POST", "/v1/allocation-grant-batches", {"reference_date": "2026-01-01"}, expect=201
    )
    # a by area; b and club k fall through to per km² too, but have no area.
    assert by_org(fed, draft) == {
        "a": (1, "per_km2", 2500),
        "b": (0, "none", 0),
        "k": (0, "none", 0),
    }

    # Corrected rules: the draft is discarded and the date calculated anew.
    await api.call("DELETE", f"/v1/allocation-grant-batches/{draft['id']}", expect=204)
    await api.call("GET", f"/v1/allocation-grant-batches/{draft['id']}", expect=404)
    await api.call(
        "PUT",
        "/v1/allocation-grant-rules",
        {**per_km2, "amount_per_type1_org": 30000, "amount_type2": 0},
    )
    batch = await api.call(
        "POST", "/v1/allocation-grant-batches", {"reference_date": "2026-01-01"}, expect=201
    )
    assert by_org(fed, batch) == {
        "a": (1, "per_type1_organisation", 30000),
        "b": (0, "per_type1_organisation", 30000),
        "k": (0, "type2", 0),
    }
    await api.call("POST", f"/v1/allocation-grant-batches/{batch['id']}/approve")
    # A grant of 0 pays nothing: no event for it.
    events = await api.outbox(ALLOCATION_GRANT_CALCULATED.type)
    assert sorted(e["data"]["organisation_id"] for e in events) == sorted(
        [str(fed.ids["a"]), str(fed.ids["b"])]
    )


async def test_organisation_types_follow_their_events_and_bad_input_changes_nothing(
    api: Billing,
) -> None:
    fed = await federation(api)
    refused = await api.call(
        "POST", "/v1/allocation-grant-batches", {"reference_date": "2026-01-01"}, expect=409
    )
    assert refused["type"].endswith("/grant-rules-missing")
    assert await api.count("allocation_grant_batches", "tenant = :t", t=api.tenant) == 0

    # Branch b becomes a club: the copy follows the newer event.
    await fed.publish("b", kind="club", version=2)
    profile = await api.call("GET", f"/v1/organisations/{fed.ids['b']}/grant-profile")
    assert (profile["organisation_type"], profile["area_km2"], profile["version"]) == (
        "club",
        None,
        0,
    )
    await api.call(
        "PUT",
        f"/v1/organisations/{fed.ids['b']}/grant-profile",
        {"area_km2": "-1"},
        expect=422,
    )
    unknown = await api.call(
        "PUT", f"/v1/organisations/{uuid.uuid4()}/grant-profile", {"area_km2": "1"}, expect=404
    )
    assert unknown["type"].endswith("/organisation-not-found")
    # Outside the caller's organisations it is as unknown.
    await api.call(
        "GET",
        f"/v1/organisations/{fed.ids['a']}/grant-profile",
        expect=404,
        headers=fed.officer("b"),
    )
    await api.call(
        "PUT",
        f"/v1/organisations/{fed.ids['a']}/grant-profile",
        {"area_km2": "1"},
        expect=403,
        headers=fed.officer("a"),
    )
    assert await api.count("organisation_grant_profiles", "tenant = :t", t=api.tenant) == 0

    await api.call("PUT", "/v1/allocation-grant-rules", RULES)
    batch = await api.call(
        "POST", "/v1/allocation-grant-batches", {"reference_date": "2026-01-01"}, expect=201
    )
    assert by_org(fed, batch) == {
        "a": (0, "small_type1", 50000),
        "b": (0, "type2", 20000),
        "k": (0, "type2", 20000),
    }
    await api.call("POST", f"/v1/allocation-grant-batches/{uuid.uuid4()}/approve", expect=404)
    await api.call(
        "POST",
        f"/v1/allocation-grant-batches/{batch['id']}/approve",
        expect=403,
        headers=fed.officer("federation"),
    )
    assert await api.outbox(ALLOCATION_GRANT_CALCULATED.type) == []
