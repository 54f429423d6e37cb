"""Rule 7 through the API: the tenant's welcome-letter setup decides what `subscription.started`
asks communications to send."""

from __future__ import annotations

from typing import Any

from federa.shared.auth import Role
from federa.shared.contracts.billing import SUBSCRIPTION_STARTED

from .conftest import Billing, create_membership

PRICE_CODES = [
    {"product": "MEDLEM", "price_code": "ORD", "template_code": "W-ORD", "text": "Welcome!"}
]
SETUP: dict[str, Any] = {
    "method": "internal_text",
    "recruit_text": "A colleague recruited you.",
    "price_codes": PRICE_CODES,
    "channels": {"FAIR": "Thank you for visiting our stand."},
}


async def started_letter(api: Billing, **start: Any) -> Any:
    member = await api.member_joins()
    started = await api.call(
        "POST",
        "/v1/subscriptions",
        {"member_id": str(member), "product": "MEDLEM", "from_date": "2025-06-01", **start},
        expect=201,
    )
    [event] = await api.outbox(SUBSCRIPTION_STARTED.type, started["id"])
    return event["data"]


async def test_without_a_setup_a_start_asks_for_no_letter(api: Billing) -> None:
    await create_membership(api)
    assert (await api.call("GET", "/v1/welcome-letters"))["method"] == "none"
    assert (await started_letter(api))["welcome_letter"] is None


async def test_internal_text_composes_the_letter_from_price_code_channel_and_recruit(
    api: Billing,
) -> None:
    await create_membership(api)
    assert await api.call("PUT", "/v1/welcome-letters", SETUP) == SETUP
    recruiter = await api.member_joins("Bo Lund", member_number=2)

    data = await started_letter(
        api, acquisition_channel="FAIR", recruited_by_member_id=str(recruiter)
    )

    assert data["recruited_by_member_id"] == str(recruiter)
    assert data["welcome_letter"] == {
        "method": "internal_text",
        "template_code": None,
        "text": "Welcome!\n\nThank you for visiting our stand.\n\nA colleague recruited you.",
    }


async def test_template_takes_the_starts_template_over_the_price_codes(api: Billing) -> None:
    await create_membership(api)
    await api.call("PUT", "/v1/welcome-letters", SETUP | {"method": "template"})
    assert (await started_letter(api))["welcome_letter"]["template_code"] == "W-ORD"
    given = await started_letter(api, welcome_template="SPRING")
    assert given["welcome_letter"] == {
        "method": "template",
        "template_code": "SPRING",
        "text": None,
    }


async def test_a_bad_setup_is_a_422_problem_and_changes_nothing(api: Billing) -> None:
    await api.call("PUT", "/v1/welcome-letters", SETUP)
    for bad in (
        SETUP | {"method": "carrier_pigeon"},
        SETUP | {"price_codes": PRICE_CODES * 2},
    ):
        problem = await api.call("PUT", "/v1/welcome-letters", bad, expect=422)
        assert problem["status"] == 422
    assert await api.call("GET", "/v1/welcome-letters") == SETUP
    await api.call(
        "PUT",
        "/v1/welcome-letters",
        SETUP,
        expect=403,
        headers=api.headers(Role.MEMBER_CARD),
    )
