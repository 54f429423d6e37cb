"""Welcome letters on start (SPEC §2.2 rule 7): which letter a new subscription asks for.

The tenant's method decides: *none*; *template*, when a template code is given on the start
or on the price code (the start's wins), else no letter; *internal text*, composed from the
price code's text, the acquisition channel's text and, when a member recruited the new one,
the "member recruits member" text, in that order, one paragraph each, else no letter.
Billing only decides; communications renders and sends what `subscription.started` asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class WelcomeMethod(StrEnum):
    NONE = "none"
    TEMPLATE = "template"
    INTERNAL_TEXT = "internal_text"


@dataclass(frozen=True)
class PriceCodeWelcome:
    template_code: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class WelcomeSettings:
    method: WelcomeMethod = WelcomeMethod.NONE
    recruit_text: str | None = None
    # By (product code, price code).
    price_codes: Mapping[tuple[str, str], PriceCodeWelcome] = field(default_factory=dict)
    # By acquisition channel code.
    channels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WelcomeLetter:
    method: WelcomeMethod
    template_code: str | None = None
    text: str | None = None


def welcome_letter(
    settings: WelcomeSettings,
    *,
    product: str,
    price_code: str,
    acquisition_channel: str | None = None,
    recruited: bool = False,
    template_code: str | None = None,
) -> WelcomeLetter | None:
    own = settings.price_codes.get((product, price_code), PriceCodeWelcome())
    if settings.method is WelcomeMethod.TEMPLATE:
        chosen = template_code or own.template_code
        return None if not chosen else WelcomeLetter(WelcomeMethod.TEMPLATE, template_code=chosen)
    if settings.method is WelcomeMethod.INTERNAL_TEXT:
        paragraphs = [
            own.text,
            settings.channels.get(acquisition_channel) if acquisition_channel else None,
            settings.recruit_text if recruited else None,
        ]
        body = "\n\n".join(p.strip() for p in paragraphs if p and p.strip())
        return WelcomeLetter(WelcomeMethod.INTERNAL_TEXT, text=body) if body else None
    return None
