"""SPEC §2.2 rule 7: the welcome letter a start asks for, by the tenant's method."""

from __future__ import annotations

import pytest

from federa.billing.domain.welcome import (
    PriceCodeWelcome,
    WelcomeLetter,
    WelcomeMethod,
    WelcomeSettings,
    welcome_letter,
)

TEXTS = {
    ("MEDLEM", "STUD"): PriceCodeWelcome(template_code="WELCOME-STUD", text="Welcome, student."),
    ("MEDLEM", "ORD"): PriceCodeWelcome(text="Welcome to the union."),
}
CHANNELS = {"FAIR": "Thank you for visiting our stand.", "WEB": "  "}


def settings(method: WelcomeMethod) -> WelcomeSettings:
    return WelcomeSettings(
        method, recruit_text="A colleague recruited you.", price_codes=TEXTS, channels=CHANNELS
    )


def test_none_sends_no_letter_whatever_is_configured() -> None:
    assert welcome_letter(settings(WelcomeMethod.NONE), product="MEDLEM", price_code="STUD") is None


@pytest.mark.parametrize(
    ("price_code", "given", "expected"),
    [
        ("STUD", None, "WELCOME-STUD"),  # the price code's
        ("STUD", "SPRING-CAMPAIGN", "SPRING-CAMPAIGN"),  # the start's wins
        ("ORD", "SPRING-CAMPAIGN", "SPRING-CAMPAIGN"),
        ("ORD", None, None),  # no template anywhere: no letter
    ],
)
def test_template_takes_the_starts_code_else_the_price_codes(
    price_code: str, given: str | None, expected: str | None
) -> None:
    letter = welcome_letter(
        settings(WelcomeMethod.TEMPLATE),
        product="MEDLEM",
        price_code=price_code,
        template_code=given,
    )
    assert letter == (None if expected is None else WelcomeLetter(WelcomeMethod.TEMPLATE, expected))


def test_internal_text_is_price_code_then_channel_then_recruit_paragraphs() -> None:
    letter = welcome_letter(
        settings(WelcomeMethod.INTERNAL_TEXT),
        product="MEDLEM",
        price_code="ORD",
        acquisition_channel="FAIR",
        recruited=True,
    )
    assert letter == WelcomeLetter(
        WelcomeMethod.INTERNAL_TEXT,
        text="Welcome to the union.\n\nThank you for visiting our stand.\n\n"
        "A colleague recruited you.",
    )


def test_internal_text_leaves_out_what_is_blank_or_unknown() -> None:
    letter = welcome_letter(
        settings(WelcomeMethod.INTERNAL_TEXT),
        product="MEDLEM",
        price_code="ORD",
        acquisition_channel="WEB",
    )
    assert letter == WelcomeLetter(WelcomeMethod.INTERNAL_TEXT, text="Welcome to the union.")
    assert (
        welcome_letter(
            settings(WelcomeMethod.INTERNAL_TEXT),
            product="MAGAZINE",
            price_code="STD",
            acquisition_channel="UNKNOWN",
        )
        is None
    )
