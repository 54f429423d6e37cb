"""Postage prices by country and optionally postcode, dated (SPEC §1.2 *Porto*, §2.2 rule 21)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from federa.billing.domain.errors import InvalidCatalogue, OverlappingPriceValidity


@dataclass(frozen=True)
class PostagePrice:
    country_code: str
    postcode: str | None  # None: the whole country
    from_date: date
    description: str  # the sales line's text
    amount: int

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise InvalidCatalogue(f"postage to {self.country_code} is negative")


def check_postage_prices(prices: Sequence[PostagePrice]) -> None:
    keys = [(price.country_code, price.postcode, price.from_date) for price in prices]
    for key in keys:
        if keys.count(key) > 1:
            country, postcode, from_date = key
            where = country if postcode is None else f"{country} {postcode}"
            raise OverlappingPriceValidity(f"two postage prices for {where} from {from_date}")


def postage_on(
    prices: Sequence[PostagePrice], country_code: str, postcode: str | None, day: date
) -> PostagePrice | None:
    """The postage valid on `day` for the address; a price for the exact postcode wins over the
    country's, even when the country's is newer (README "Postage")."""
    for wanted in (postcode, None) if postcode is not None else (None,):
        valid = [
            price
            for price in prices
            if price.country_code == country_code
            and price.postcode == wanted
            and price.from_date <= day
        ]
        if valid:
            return max(valid, key=lambda price: price.from_date)
    return None
