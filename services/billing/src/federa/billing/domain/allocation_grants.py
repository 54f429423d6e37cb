"""Allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*): what the
federation pays each sub-organisation by its size, type or area.

The setup (*Rådighedsberegningsopsætning*, MM 2013 §9.9) names two organisation types and the
amounts. For an organisation of type 1 the rules are tried in this order, the first one whose
parameters are filled in deciding:

1. the size rule (`min_members` filled in): with at least `min_members` members the
   organisation is *large* and gets `base_amount_large_type1` + `amount_per_member` times members;
   below it, *small*, and gets `base_amount_small_type1`;
2. `amount_per_type1_org`: one fixed amount per type-1 organisation;
3. `amount_per_km2` times the organisation's area.

An organisation of type 2 gets `amount_type2`, else the amount per km². An organisation of
neither type gets no grant at all. Blank (None) is not zero: a zero amount is filled in and
decides (a deliberate "nothing"); only a blank parameter falls through to the next rule.

Pure: the caller counts the members and knows the areas; this decides. Money is integer minor
units; an area is a `Decimal` of km², and its amount is rounded once, half up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from federa.billing.domain.errors import BillingRuleError
from federa.billing.domain.ids import OrganisationId


class InvalidGrantRules(BillingRuleError):
    """Grant rules that could never decide a grant as meant (422)."""

    code = "invalid-grant-rules"


class GrantRulesMissing(BillingRuleError):
    """No organisation type is set up, so no organisation could get a grant."""

    code = "grant-rules-missing"


class GrantRule(StrEnum):
    """Which rule decided a grant; stored on the grant and in its event."""

    LARGE_TYPE1 = "large_type1"
    SMALL_TYPE1 = "small_type1"
    TYPE2 = "type2"
    PER_TYPE1_ORGANISATION = "per_type1_organisation"
    PER_KM2 = "per_km2"
    # The organisation's type has no parameter filled in (or per km² without an area): 0.
    NONE = "none"


# The amounts of the setup, in the order of the source's form.
AMOUNT_FIELDS = (
    "base_amount_large_type1",
    "amount_per_member",
    "base_amount_small_type1",
    "amount_type2",
    "amount_per_type1_org",
    "amount_per_km2",
)
SIZE_RULE_AMOUNTS = ("base_amount_large_type1", "amount_per_member", "base_amount_small_type1")


@dataclass(frozen=True)
class GrantRules:
    """A tenant's *Rådighedsberegningsopsætning*; every field may be blank (None)."""

    org_type_1: str | None = None
    org_type_2: str | None = None
    min_members: int | None = None
    base_amount_large_type1: int | None = None
    amount_per_member: int | None = None
    base_amount_small_type1: int | None = None
    amount_type2: int | None = None
    amount_per_type1_org: int | None = None
    amount_per_km2: int | None = None

    def check(self) -> GrantRules:
        """The rules themselves, or `InvalidGrantRules` naming what is wrong."""
        for name in AMOUNT_FIELDS:
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidGrantRules(f"{name} must be 0 or more, not {value}")
        if self.min_members is not None and self.min_members < 1:
            raise InvalidGrantRules(f"min_members must be 1 or more, not {self.min_members}")
        if self.org_type_1 is not None and self.org_type_1 == self.org_type_2:
            raise InvalidGrantRules(
                f"org_type_1 and org_type_2 are both {self.org_type_1!r}: one organisation "
                "would be of both types"
            )
        size_amounts = [n for n in SIZE_RULE_AMOUNTS if getattr(self, n) is not None]
        if size_amounts and self.min_members is None:
            raise InvalidGrantRules(
                f"{', '.join(size_amounts)} need min_members: without it no organisation is "
                "large or small"
            )
        type1_only = [*size_amounts, "amount_per_type1_org", "min_members"]
        if self.org_type_1 is None:
            given = [n for n in type1_only if getattr(self, n) is not None]
            if given:
                raise InvalidGrantRules(f"{', '.join(given)} need org_type_1")
        if self.org_type_2 is None and self.amount_type2 is not None:
            raise InvalidGrantRules("amount_type2 needs org_type_2")
        return self

    def type_of(self, organisation_type: str | None) -> int | None:
        """1 or 2 for an organisation of the setup's types, else None (no grant)."""
        if organisation_type is None:
            return None
        if organisation_type == self.org_type_1:
            return 1
        if organisation_type == self.org_type_2:
            return 2
        return None

    @property
    def grant_types(self) -> tuple[str, ...]:
        return tuple(t for t in (self.org_type_1, self.org_type_2) if t is not None)

    def changed_fields(self, before: GrantRules) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(before, f.name)]


@dataclass(frozen=True)
class GrantOrganisation:
    """What the rule needs to know of one organisation."""

    organisation: OrganisationId
    organisation_type: str | None
    members: int
    area_km2: Decimal | None = None


@dataclass(frozen=True)
class Grant:
    organisation: OrganisationId
    organisation_type: str
    type_no: int  # 1 or 2
    members: int
    area_km2: Decimal | None
    rule: GrantRule
    amount: int
    explanation: str


def _per_km2(rate: int, area: Decimal) -> int:
    return int((Decimal(rate) * area).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def grant_for(organisation: GrantOrganisation, rules: GrantRules) -> Grant | None:
    """The grant of one organisation, or None when it is of neither type."""
    type_no = rules.type_of(organisation.organisation_type)
    if type_no is None or organisation.organisation_type is None:
        return None
    members, area = organisation.members, organisation.area_km2

    def grant(rule: GrantRule, amount: int, explanation: str) -> Grant:
        return Grant(
            organisation=organisation.organisation,
            organisation_type=str(organisation.organisation_type),
            type_no=type_no,
            members=members,
            area_km2=area,
            rule=rule,
            amount=amount,
            explanation=explanation,
        )

    if type_no == 1 and rules.min_members is not None:
        if members >= rules.min_members:
            base = rules.base_amount_large_type1 or 0
            per_member = rules.amount_per_member or 0
            return grant(
                GrantRule.LARGE_TYPE1,
                base + per_member * members,
                f"large (members {members} >= {rules.min_members}): base {base} + "
                f"{members} x {per_member}",
            )
        small = rules.base_amount_small_type1 or 0
        return grant(
            GrantRule.SMALL_TYPE1,
            small,
            f"small (members {members} < {rules.min_members}): base {small}",
        )
    if type_no == 1 and rules.amount_per_type1_org is not None:
        return grant(
            GrantRule.PER_TYPE1_ORGANISATION,
            rules.amount_per_type1_org,
            f"amount per type-1 organisation {rules.amount_per_type1_org}",
        )
    if type_no == 2 and rules.amount_type2 is not None:
        return grant(GrantRule.TYPE2, rules.amount_type2, f"type-2 amount {rules.amount_type2}")
    if rules.amount_per_km2 is not None:
        if area is None:
            return grant(GrantRule.NONE, 0, "per km² applies, but the organisation has no area")
        amount = _per_km2(rules.amount_per_km2, area)
        return grant(
            GrantRule.PER_KM2, amount, f"{area} km² x {rules.amount_per_km2} per km² = {amount}"
        )
    return grant(GrantRule.NONE, 0, f"no parameter is filled in for type {type_no}")


def calculate_grants(organisations: Iterable[GrantOrganisation], rules: GrantRules) -> list[Grant]:
    """One grant per organisation of type 1 or 2, in organisation id order."""
    if not rules.grant_types:
        raise GrantRulesMissing("no organisation type is set up for allocation grants")
    found = (grant_for(o, rules) for o in organisations)
    return sorted((g for g in found if g is not None), key=lambda g: str(g.organisation))
