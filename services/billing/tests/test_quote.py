"""The quote endpoint: the next charge line by line, each with the rule behind its amount."""

from __future__ import annotations

import uuid

from .conftest import Billing, create_membership


async def test_the_quote_matches_a_hand_computed_first_charge(api: Billing) -> None:
    """Worked example (README "Pricing and periods"): price code ORD charges the running year
    (`LÅ`) first, at 450.00 a year from 2024-01-01, with 50 % off the first period. A member
    starting on 2025-06-01 first pays for 2025-06-01 to 2025-12-31, 214 of 365 days:

        accrued by 31 December          450.00 x 365/365 = 450.00
        accrued by 31 May (151 days)    450.00 x 151/365 = 186.1643… → 186.16
        the period's share              450.00 - 186.16  = 263.84
        first-period discount 50 %      263.84 - 131.92  = 131.92

    The product collects the member's standing gift of 100.00 as a line of its own, never
    discounted, so the charge is 231.92. Branch A gets its share of 25.00."""
    await create_membership(api)
    await api.call("PATCH", "/v1/products/MEDLEM", {"collects_gift": True})
    branch = uuid.uuid4()
    await api.call(
        "PUT",
        "/v1/products/MEDLEM/branch-shares",
        [{"organisation_id": str(branch), "organisation_name": "Branch A", "amount": 2500}],
    )
    member = await api.member_joins("Anna Berg", gift_amount=10000, organisation_ids=(branch,))
    started = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "from_date": "2025-06-01", "product": "MEDLEM"},
        expect=201,
    )

    quote = await api.call(
        "GET", f"/v1/subscriptions/{started['id']}/quote", params={"bill_through": "2025-06-30"}
    )

    assert (quote["period_from"], quote["period_to"]) == ("2025-06-01", "2025-12-31")
    assert quote["first_charge"] is True
    assert quote["explanation"] == (
        "first charge 2025-06-01 to 2025-12-31: first term running year (to 31 December) of "
        "price code ORD"
    )
    product, gift = quote["lines"]
    assert product["amount"] == 13192
    assert product["rule"] == (
        "price 450.00 valid from 2024-01-01 (price code ORD); pro rata 214/365 of the yearly "
        "450.00 → 263.84; first-period discount 50% → 131.92"
    )
    assert (gift["kind"], gift["amount"]) == ("gift", 10000)
    assert gift["rule"].startswith("standing gift 100.00")
    assert (quote["total"], quote["currency"]) == (23192, "DKK")
    [share] = quote["settlements"]
    assert (share["organisation_id"], share["amount"]) == (str(branch), 2500)


async def test_a_quote_before_the_from_date_says_nothing_is_due(api: Billing) -> None:
    await create_membership(api)
    member = await api.member_joins()
    started = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "from_date": "2025-06-01", "product": "MEDLEM"},
        expect=201,
    )
    quote = await api.call(
        "GET", f"/v1/subscriptions/{started['id']}/quote", params={"bill_through": "2025-05-31"}
    )
    assert (quote["lines"], quote["total"], quote["period_from"]) == ([], 0, None)
    assert quote["explanation"].startswith("nothing due: next unbilled day 2025-06-01")


async def test_a_quote_that_cannot_be_priced_is_refused_with_the_rule(api: Billing) -> None:
    """Billing through 2027-01-01 needs product periods through 2028-12-31 (rule 26)."""
    await create_membership(api)
    member = await api.member_joins()
    started = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "from_date": "2025-06-01", "product": "MEDLEM"},
        expect=201,
    )
    await api.call("POST", f"/v1/subscriptions/{started['id']}/stop", {"stop_date": "2027-06-01"})
    problem = await api.call(
        "GET",
        f"/v1/subscriptions/{started['id']}/quote",
        params={"bill_through": "2027-01-01"},
        expect=409,
    )
    assert problem["type"] == "https://federa.dev/problems/missing-product-periods"
