"""The catalogue API: products, price codes, dated prices, bands, periods and tenant setup."""

from __future__ import annotations

from typing import Any

from federa.shared.auth import Role
from federa.shared.contracts.billing import (
    PRICE_CODE_CREATED,
    PRICE_CODE_UPDATED,
    PRICE_SCHEDULED,
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
)

from .conftest import Billing, create_membership

PROBLEM = "https://federa.dev/problems/"


async def price_code(api: Billing, **fields: Any) -> dict[str, Any]:
    body = {
        "product": "MEDLEM",
        "code": "PAY",
        "description": "Payroll",
        "first_term": {"years": 1},
        "subsequent_term": {"years": 1},
        **fields,
    }
    created: dict[str, Any] = await api.call("POST", "/v1/price-codes", body, expect=201)
    return created


async def test_a_new_tenant_has_the_eight_mandatory_reason_codes(api: Billing) -> None:
    codes = await api.call("GET", "/v1/reason-codes")
    assert {(c["code"], c["action"]) for c in codes} == {
        ("DEB+", "payer_to"),
        ("DEB-", "payer_from"),
        ("FLYT+", "move_in"),
        ("FLYT-", "move_out"),
        ("PRIS+", "price_to"),
        ("PRIS-", "price_from"),
        ("START", "start"),
        ("STOP", "stop"),
    }


async def test_products_and_price_codes_are_published_with_their_versions(api: Billing) -> None:
    made = await create_membership(api)
    product, ordinary = made["product"], made["ordinary"]

    assert product["default_price_code"] == "ORD"
    assert (product["periods_from"], product["periods_through"]) == ("2024-01-01", "2027-12-31")
    assert product["version"] == 3  # created, default price code, periods
    created = await api.outbox(PRODUCT_CREATED.type, product["id"])
    updated = await api.outbox(PRODUCT_UPDATED.type, product["id"])
    assert [e["aggregateversion"] for e in created + updated] == [1, 2, 3]
    assert updated[-1]["data"]["changed_fields"] == ["periods"]

    code = await api.call("GET", f"/v1/price-codes/{ordinary['id']}")
    assert code["first_term"] == {
        "years": 0,
        "months": 0,
        "days": 0,
        "until_year_end": True,
        "description": "running year (to 31 December)",
    }
    assert code["prices"] == [{"from_date": "2024-01-01", "amount": 45000}]
    assert code["currency"] == "DKK"
    [created_code] = await api.outbox(PRICE_CODE_CREATED.type, ordinary["id"])
    [scheduled] = await api.outbox(PRICE_SCHEDULED.type, ordinary["id"])
    assert created_code["data"]["first_term"]["until_year_end"] is True
    assert scheduled["aggregateversion"] == 2
    assert scheduled["data"] | {"price_code_id": None} == {
        "price_code_id": None,
        "product_code": "MEDLEM",
        "price_code": "ORD",
        "from_date": "2024-01-01",
        "amount": 45000,
        "currency": "DKK",
    }


async def test_a_product_code_of_eleven_characters_is_refused(api: Billing) -> None:
    problem = await api.call(
        "POST", "/v1/products", {"code": "Abonnementx", "description": "x"}, expect=422
    )
    assert problem["type"] == PROBLEM + "invalid-catalogue"
    assert await api.count("products", "tenant = :t", t=api.tenant) == 0


async def test_a_second_price_from_the_same_date_overlaps_and_changes_nothing(
    api: Billing,
) -> None:
    ordinary = (await create_membership(api))["ordinary"]
    problem = await api.call(
        "POST",
        f"/v1/price-codes/{ordinary['id']}/prices",
        {"from_date": "2024-01-01", "amount": 50000},
        expect=422,
    )
    assert problem["type"] == PROBLEM + "overlapping-price-validity"
    code = await api.call("GET", f"/v1/price-codes/{ordinary['id']}")
    assert code["prices"] == [{"from_date": "2024-01-01", "amount": 45000}]
    assert code["version"] == 2
    assert len(await api.outbox(PRICE_SCHEDULED.type, ordinary["id"])) == 1

    await api.call(
        "POST",
        f"/v1/price-codes/{ordinary['id']}/prices",
        {"from_date": "2026-01-01", "amount": 50000},
        expect=201,
    )
    assert len(await api.call("GET", f"/v1/price-codes/{ordinary['id']}/prices")) == 2


async def test_a_payroll_table_without_the_zero_line_is_refused(api: Billing) -> None:
    await create_membership(api)
    payroll = await price_code(api, calculation="payroll")
    problem = await api.call(
        "POST",
        f"/v1/price-codes/{payroll['id']}/payroll-tables",
        {
            "from_date": "2024-01-01",
            "bands": [
                {"min_value": 0, "max_value": 100000, "price_per_unit": "0.5"},
                {"min_value": 100001, "max_value": None, "price_per_unit": "0.25"},
            ],
        },
        expect=422,
    )
    assert problem["type"] == PROBLEM + "missing-minimum-dues-line"
    assert await api.count("payroll_bands", "price_code_id = :id", id=payroll["id"]) == 0

    table = {
        "from_date": "2024-01-01",
        "bands": [
            {"min_value": 0, "max_value": 0, "price_per_unit": "0", "min_dues": 50000},
            {"min_value": 1, "max_value": None, "price_per_unit": "0.5"},
        ],
    }
    defined = await api.call(
        "POST", f"/v1/price-codes/{payroll['id']}/payroll-tables", table, expect=201
    )
    assert defined["payroll_tables"][0]["bands"][0]["min_dues"] == 50000
    [event] = await api.outbox(PRICE_CODE_UPDATED.type, payroll["id"])
    assert event["data"]["changed_fields"] == ["payroll_tables"]


async def test_value_bands_price_a_code_and_need_ascending_limits(api: Billing) -> None:
    await create_membership(api)
    code = await price_code(
        api,
        code="VAL",
        calculation="value_bands",
        value_bands={
            "unit_value_price": "2",
            "bands": [{"max_value": "1000", "net_price": 10}, {"max_value": None, "net_price": 8}],
        },
    )
    assert code["calculation"] == "value_bands"
    assert code["value_bands"]["bands"][1] == {"max_value": None, "net_price": 8}

    problem = await api.call(
        "PUT",
        f"/v1/price-codes/{code['id']}/value-bands",
        {
            "unit_value_price": "2",
            "bands": [{"max_value": "1000", "net_price": 10}, {"max_value": "500", "net_price": 8}],
        },
        expect=422,
    )
    assert problem["type"] == PROBLEM + "invalid-catalogue"
    assert (await api.call("GET", f"/v1/price-codes/{code['id']}"))["version"] == 1


async def test_periods_extend_the_calendar_and_an_overlapping_batch_is_refused(
    api: Billing,
) -> None:
    await create_membership(api)
    problem = await api.call(
        "POST",
        "/v1/products/MEDLEM/periods:generate",
        {"start": "2027-06-01", "count": 2, "length": "1Å"},
        expect=422,
    )
    assert "overlap" in problem["detail"]
    product = await api.call(
        "POST",
        "/v1/products/MEDLEM/periods:generate",
        {"start": "2028-01-01", "count": 4, "length": "3M"},
    )
    assert product["periods_through"] == "2028-12-31"
    periods = await api.call("GET", "/v1/products/MEDLEM/periods")
    assert len(periods) == 8
    assert periods[-1] == {"start": "2028-10-01", "end": "2028-12-31"}


async def test_unknown_codes_are_not_found(api: Billing) -> None:
    await create_membership(api)
    problem = await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": "NOPE",
            "code": "X",
            "description": "x",
            "first_term": "1Å",
            "subsequent_term": "1Å",
        },
        expect=404,
    )
    assert problem["type"] == PROBLEM + "unknown-product"
    problem = await api.call(
        "PATCH", "/v1/products/MEDLEM", {"default_price_code": "NOPE"}, expect=404
    )
    assert problem["type"] == PROBLEM + "unknown-price-code"
    await api.call("GET", "/v1/products/NOPE", expect=404)


async def test_a_bad_legacy_term_is_refused(api: Billing) -> None:
    await create_membership(api)
    problem = await api.call(
        "POST",
        "/v1/price-codes",
        {
            "product": "MEDLEM",
            "code": "Q",
            "description": "q",
            "first_term": "LM",
            "subsequent_term": "1Å",
        },
        expect=422,
    )
    assert problem["type"] == PROBLEM + "invalid-billing-term"


async def test_related_stops_branch_shares_postage_and_settings(api: Billing) -> None:
    await create_membership(api)
    await api.call("POST", "/v1/products", {"code": "BLAD", "description": "Magazine"}, expect=201)
    product = await api.call("PUT", "/v1/products/MEDLEM/related-stops", {"products": ["BLAD"]})
    assert product["related_stops"] == ["BLAD"]
    await api.call("PUT", "/v1/products/MEDLEM/related-stops", {"products": ["NOPE"]}, expect=404)

    branch = "8f8f1c2e-7a43-4a55-9a7c-2f0c8a4d0b11"
    await api.call(
        "PUT",
        "/v1/products/MEDLEM/branch-shares",
        [{"organisation_id": branch, "amount": 1}],
        expect=422,
    )
    product = await api.call(
        "PUT",
        "/v1/products/MEDLEM/branch-shares",
        [{"organisation_id": branch, "organisation_name": "Branch A", "amount": 10000}],
    )
    assert product["branch_shares"] == [
        {"organisation_id": branch, "organisation_name": "Branch A", "amount": 10000}
    ]

    postage = {
        "country_code": "NO",
        "from_date": "2024-01-01",
        "description": "Porto",
        "amount": 900,
    }
    await api.call("POST", "/v1/postage-prices", postage, expect=201)
    problem = await api.call("POST", "/v1/postage-prices", postage, expect=422)
    assert problem["type"] == PROBLEM + "overlapping-price-validity"
    await api.call("POST", "/v1/postage-prices", {**postage, "postcode": "0150"}, expect=201)
    assert len(await api.call("GET", "/v1/postage-prices")) == 2

    settings = await api.call(
        "PUT", "/v1/settings", {"prerequisite_product": "MEDLEM", "default_product": "MEDLEM"}
    )
    assert settings["prerequisite_product"] == "MEDLEM"
    await api.call("PUT", "/v1/settings", {"default_stop_reason": "START"}, expect=404)


async def test_catalogue_changes_are_the_superusers(api: Billing) -> None:
    officer = api.headers(Role.MEMBER_CARD)
    problem = await api.call(
        "POST", "/v1/products", {"code": "X", "description": "x"}, expect=403, headers=officer
    )
    assert problem["type"] == PROBLEM + "forbidden"
    assert await api.call("GET", "/v1/products", headers=api.headers(Role.READ)) == []
