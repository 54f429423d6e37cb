"""A caller acting for some organisations sees and changes only the subscriptions of members
affiliated to them or to organisations beneath them, from billing's own copy of the tree."""

from __future__ import annotations

import uuid

from federa.shared.auth import Role

from .conftest import Billing, Tree


async def subscribe(api: Billing, member: uuid.UUID) -> str:
    started = await api.call(
        "POST", "/v1/subscriptions", {"member_id": str(member), "product": "MEDLEM"}, expect=201
    )
    subscription_id: str = started["id"]
    return subscription_id


async def visible(api: Billing, headers: dict[str, str]) -> set[str]:
    page = await api.call("GET", "/v1/subscriptions", headers=headers)
    return {s["id"] for s in page["items"]}


async def test_an_officer_sees_the_subscriptions_of_their_subtree_only(
    api: Billing, tree: Tree
) -> None:
    in_a = await subscribe(api, await api.member_joins(organisation_ids=tree.affiliations("a")))
    in_c = await subscribe(api, await api.member_joins(organisation_ids=tree.affiliations("c")))
    nowhere = await subscribe(api, await api.member_joins())

    assert await visible(api, api.headers()) == {in_a, in_c, nowhere}
    assert await visible(api, tree.officer("north")) == {in_a}
    assert await visible(api, tree.officer("a")) == {in_a}
    assert await visible(api, tree.officer("c", "north")) == {in_a, in_c}
    assert await visible(api, tree.officer("federation")) == {in_a, in_c}
    garbage = api.headers(Role.MEMBER_CARD, orgs=("not-an-id",))
    assert await visible(api, garbage) == set()

    south = tree.officer("south")
    await api.call("GET", f"/v1/subscriptions/{in_a}", expect=404, headers=south)
    await api.call(
        "GET", f"/v1/subscriptions/{in_a}/quote?bill_through=2030-01-01", expect=404, headers=south
    )
    await api.call("POST", f"/v1/subscriptions/{in_a}/stop", {}, expect=404, headers=south)
    assert (await api.call("GET", f"/v1/subscriptions/{in_a}"))["version"] == 1


async def test_an_officer_starts_subscriptions_only_for_members_in_scope(
    api: Billing, tree: Tree
) -> None:
    member = await api.member_joins(organisation_ids=tree.affiliations("a"))
    body = {"member_id": str(member), "product": "MEDLEM"}
    problem = await api.call(
        "POST", "/v1/subscriptions", body, expect=404, headers=tree.officer("c")
    )
    assert problem["type"] == "https://federa.dev/problems/member-not-found"
    await api.call("POST", "/v1/subscriptions", body, expect=201, headers=tree.officer("north"))
    accounts = await api.call("GET", "/v1/payer-accounts", headers=tree.officer("c"))
    # Only branch c's own account: not the member's of branch a.
    assert [a["owner_organisation_id"] for a in accounts] == [str(tree.ids["c"])]


async def test_a_moved_branch_is_in_its_new_regions_scope_from_the_tree_copy(
    api: Billing, tree: Tree
) -> None:
    """The member's own `organisation_ids` still name the old region until its next event;
    the organisation tree copy already puts branch a under south."""
    in_a = await subscribe(api, await api.member_joins(organisation_ids=tree.affiliations("a")))
    assert await visible(api, tree.officer("south")) == set()

    tree.parents["a"] = "south"
    await tree.publish("a", version=2, moved=True)

    assert await visible(api, tree.officer("south")) == {in_a}
