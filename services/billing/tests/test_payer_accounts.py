"""Payer accounts of organisations and households, the scope check on a new payer, and the
mass payer change (SPEC §2.2 rule 40)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from federa.shared.contracts.billing import (
    PAYER_ACCOUNT_CREATED,
    PAYER_ACCOUNT_UPDATED,
    SUBSCRIPTION_PAYER_CHANGED,
)
from federa.shared.contracts.members import ORGANISATION_UPDATED, OrganisationStateV1
from federa.shared.envelope import new_event

from .conftest import Billing, Tree
from .test_subscriptions import charge, lifecycle

PROBLEM = "https://federa.dev/problems/"


async def org_account(api: Billing, tree: Tree, name: str) -> dict[str, Any]:
    [account] = await api.call(
        "GET", "/v1/payer-accounts", params={"organisation_id": str(tree.ids[name])}
    )
    result: dict[str, Any] = account
    return result


async def own_account(api: Billing, member: uuid.UUID) -> dict[str, Any]:
    [account] = await api.call("GET", "/v1/payer-accounts", params={"member_id": str(member)})
    result: dict[str, Any] = account
    return result


async def start(api: Billing, member: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = {"member_id": str(member), "product": "MEDLEM", "from_date": "2025-01-01", **fields}
    started: dict[str, Any] = await api.call("POST", "/v1/subscriptions", body, expect=201)
    return started


async def test_an_organisation_gets_its_own_payer_account_that_follows_it(
    api: Billing, tree: Tree
) -> None:
    account = await org_account(api, tree, "a")
    assert (account["name"], account["owner_member_id"], account["version"]) == ("a", None, 1)
    [created] = await api.outbox(PAYER_ACCOUNT_CREATED.type, account["id"])
    assert created["data"]["owner_organisation_id"] == str(tree.ids["a"])

    async def organisation_updated(version: int, name: str) -> None:
        data = OrganisationStateV1(
            organisation_id=tree.ids["a"],
            organisation_number=1,
            name=name,
            organisation_type="branch",
            parent_id=tree.ids["north"],
            ancestor_ids=tree.ancestors("a"),
            address="Torvet 1",
            postcode="8000",
            city="Aarhus",
        )
        event = new_event(
            ORGANISATION_UPDATED,
            data,
            subject=str(tree.ids["a"]),
            tenant=api.tenant,
            aggregate_version=version,
        )
        assert await api.service.runtime.consumer.handle(event.to_json()) == "applied"

    await organisation_updated(3, "Branch A")
    await organisation_updated(2, "Stale name")  # older than the copy: changes nothing
    account = await org_account(api, tree, "a")
    assert (account["name"], account["city"], account["version"]) == ("Branch A", "Aarhus", 2)
    [updated] = await api.outbox(PAYER_ACCOUNT_UPDATED.type, account["id"])
    assert updated["data"]["name"] == "Branch A"


async def test_a_member_is_offered_its_own_its_households_and_its_organisations_payers(
    api: Billing, tree: Tree
) -> None:
    primary = await api.member_joins("Anna Berg", organisation_ids=tree.affiliations("a"))
    secondary = await api.member_joins(
        "Bo Berg",
        member_number=2,
        organisation_ids=tree.affiliations("a"),
        primary_member_id=primary,
    )
    options = await api.call(
        "GET", "/v1/payer-accounts/options", params={"member_id": str(secondary)}
    )
    assert [(o["relation"], o["account"]["name"]) for o in options] == [
        ("own", "Bo Berg"),
        ("household", "Anna Berg"),
        ("organisation", "federation"),
        ("organisation", "north"),
        ("organisation", "a"),
    ]
    # A branch officer is offered only what it may bill to.
    options = await api.call(
        "GET",
        "/v1/payer-accounts/options",
        params={"member_id": str(secondary)},
        headers=tree.officer("a"),
    )
    assert [o["account"]["name"] for o in options] == ["Bo Berg", "Anna Berg", "a"]
    problem = await api.call(
        "GET",
        "/v1/payer-accounts/options",
        params={"member_id": str(secondary)},
        headers=tree.officer("c"),
        expect=404,
    )
    assert problem["type"] == PROBLEM + "member-not-found"


async def test_an_organisation_pays_for_a_members_subscription(api: Billing, tree: Tree) -> None:
    member = await api.member_joins(organisation_ids=tree.affiliations("a"))
    branch = await org_account(api, tree, "a")
    started = await start(api, member, payer_account_id=branch["id"])
    assert started["payer_account_id"] == branch["id"]


async def test_a_payer_outside_the_callers_subtree_is_refused_like_an_unknown_one(
    api: Billing, tree: Tree
) -> None:
    member = await api.member_joins(organisation_ids=tree.affiliations("a"))
    elsewhere = await api.member_joins(
        "Carl", member_number=2, organisation_ids=tree.affiliations("c")
    )
    officer = tree.officer("a")
    started = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "MEDLEM", "from_date": "2025-01-01"},
        expect=201,
        headers=officer,
    )
    for foreign in (
        (await own_account(api, elsewhere))["id"],
        (await org_account(api, tree, "c"))["id"],
    ):
        problem = await api.call(
            "POST",
            f"/v1/subscriptions/{started['id']}/payer",
            {"payer_account_id": foreign},
            expect=404,
            headers=officer,
        )
        assert problem["type"] == PROBLEM + "payer-account-not-found"
        problem = await api.call(
            "POST",
            "/v1/subscriptions",
            {"member_id": str(member), "product": "MEDLEM", "payer_account_id": foreign},
            expect=404,
            headers=officer,
        )
        assert problem["type"] == PROBLEM + "payer-account-not-found"
    assert (await api.call("GET", f"/v1/subscriptions/{started['id']}"))["version"] == 1
    assert await api.count("subscriptions", "tenant = :t", t=api.tenant) == 1
    assert await api.outbox(SUBSCRIPTION_PAYER_CHANGED.type, started["id"]) == []

    # The branch's own account is in its subtree.
    branch = await org_account(api, tree, "a")
    changed = await api.call(
        "POST",
        f"/v1/subscriptions/{started['id']}/payer",
        {"payer_account_id": branch["id"]},
        headers=officer,
    )
    assert changed["version"] == 2


async def test_a_mass_payer_change_moves_an_accounts_subscriptions_to_the_members_own(
    api: Billing, tree: Tree
) -> None:
    anna = await api.member_joins("Anna", organisation_ids=tree.affiliations("a"))
    bo = await api.member_joins("Bo", member_number=2, organisation_ids=tree.affiliations("a"))
    branch = (await org_account(api, tree, "a"))["id"]
    charged = await start(api, anna, payer_account_id=branch)
    await charge(api, charged["id"], date(2025, 1, 1), date(2025, 12, 31))
    running = await start(api, bo, payer_account_id=branch)
    later = (date.today() + timedelta(days=20)).isoformat()
    not_started = await start(api, bo, payer_account_id=branch, from_date=later)
    own = await start(api, bo)  # pays Bo's own account: not touched

    result = await api.call(
        "POST",
        f"/v1/payer-accounts/{branch}/mass-payer-change",
        {},
        headers={**api.headers(), "Idempotency-Key": "move-branch-a"},
    )
    assert result["changed"] == 2
    assert set(result["changed_subscription_ids"]) == {charged["id"], running["id"]}
    assert [(r["subscription_id"], r["type"]) for r in result["refused"]] == [
        (not_started["id"], "subscription-not-active")
    ]
    # Each change is rule 10's: from the day after the latest invoiced period.
    assert (await lifecycle(api, charged["id"]))[1:] == [
        ("payer_change", "DEB-", "2026-01-01"),
        ("payer_change", "DEB+", "2026-01-01"),
    ]
    [event] = await api.outbox(SUBSCRIPTION_PAYER_CHANGED.type, charged["id"])
    assert event["data"]["old_payer_account_id"] == branch
    assert event["data"]["new_payer_account_id"] == (await own_account(api, anna))["id"]
    read = await api.call("GET", f"/v1/subscriptions/{running['id']}")
    assert read["payer_account_id"] == (await own_account(api, bo))["id"]
    assert (await api.call("GET", f"/v1/subscriptions/{own['id']}"))["version"] == 1

    # A retry with the same key returns the first result and changes nothing more.
    again = await api.call(
        "POST",
        f"/v1/payer-accounts/{branch}/mass-payer-change",
        {},
        headers={**api.headers(), "Idempotency-Key": "move-branch-a"},
    )
    assert again == result
    assert len(await api.outbox(SUBSCRIPTION_PAYER_CHANGED.type)) == 2

    # Without `only_active` the one not started yet moves too; a repeat finds nothing more.
    result = await api.call(
        "POST", f"/v1/payer-accounts/{branch}/mass-payer-change", {"only_active": False}
    )
    assert (result["changed_subscription_ids"], result["refused"]) == ([not_started["id"]], [])
    result = await api.call(
        "POST", f"/v1/payer-accounts/{branch}/mass-payer-change", {"only_active": False}
    )
    assert (result["changed"], result["refused"]) == (0, [])


async def test_a_mass_payer_change_filters_by_product_and_refuses_bad_input(
    api: Billing, tree: Tree
) -> None:
    anna = await api.member_joins("Anna", organisation_ids=tree.affiliations("a"))
    branch = (await org_account(api, tree, "a"))["id"]
    started = await start(api, anna, payer_account_id=branch)
    path = f"/v1/payer-accounts/{branch}/mass-payer-change"

    result = await api.call("POST", path, {"products": ["BLAD"]})
    assert result["changed"] == 0

    problem = await api.call("POST", path, {"only_active": "maybe"}, expect=422)
    assert problem["type"] == PROBLEM + "validation-error"
    problem = await api.call(
        "POST", f"/v1/payer-accounts/{uuid.uuid4()}/mass-payer-change", {}, expect=404
    )
    assert problem["type"] == PROBLEM + "payer-account-not-found"
    # Another branch's account is not the officer's to move.
    c_account = (await org_account(api, tree, "c"))["id"]
    await api.call(
        "POST",
        f"/v1/payer-accounts/{c_account}/mass-payer-change",
        {},
        expect=404,
        headers=tree.officer("a"),
    )
    headers = {**api.headers(), "Idempotency-Key": "k1"}
    await api.call("POST", path, {"products": ["BLAD"]}, headers=headers)
    problem = await api.call("POST", path, {}, headers=headers, expect=422)
    assert problem["type"] == PROBLEM + "idempotency-key-reused"
    assert (await api.call("GET", f"/v1/subscriptions/{started['id']}"))["version"] == 1
