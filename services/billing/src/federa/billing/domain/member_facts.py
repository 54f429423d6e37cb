"""What billing knows about a member from its own copy of the members service's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from federa.billing.domain.ids import MemberId


@dataclass(frozen=True)
class MemberFacts:
    member_id: MemberId
    birth_date: date | None = None
    value_units: int | None = None  # SPEC §1.1 *Antal værdienheder*
    gift_amount: int = 0  # standing gift, minor units (SPEC §1.1 *Gavebeløb*)
    country_code: str = "DK"  # of the delivery address valid on the charged period's start
    postcode: str | None = None
    active_products: frozenset[str] = frozenset()  # for the prerequisite rule
