"""Allocation grants (SPEC §2.2 rule 41, *Rådighedsbeløb*): which rule decides a grant and
its amount, the boundary at the threshold and each fallback."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.allocation_grants import (
    GrantOrganisation,
    GrantRule,
    GrantRules,
    GrantRulesMissing,
    InvalidGrantRules,
    calculate_grants,
    grant_for,
)
from federa.billing.domain.ids import OrganisationId

A, B, C = (OrganisationId(uuid.UUID(int=n)) for n in (1, 2, 3))

FULL = GrantRules(
    org_type_1="branch",
    org_type_2="club",
    min_members=100,
    base_amount_large_type1=500000,
    amount_per_member=1000,
    base_amount_small_type1=200000,
    amount_type2=75000,
    amount_per_type1_org=300000,
    amount_per_km2=250,
)


def org(
    kind: str | None = "branch", members: int = 0, area: str | None = None, at: OrganisationId = A
) -> GrantOrganisation:
    return GrantOrganisation(at, kind, members, None if area is None else Decimal(area))


def test_a_type_1_organisation_at_the_threshold_is_large_and_one_below_is_small() -> None:
    at = grant_for(org(members=100), FULL)
    below = grant_for(org(members=99), FULL)
    assert at is not None
    assert below is not None
    assert (at.rule, at.amount) == (GrantRule.LARGE_TYPE1, 500000 + 100 * 1000)
    assert (below.rule, below.amount) == (GrantRule.SMALL_TYPE1, 200000)
    assert at.type_no == 1
    assert at.members == 100


def test_a_large_organisation_gets_the_base_plus_the_amount_for_every_member() -> None:
    grant = grant_for(org(members=250), FULL)
    assert grant is not None
    assert grant.amount == 500000 + 250 * 1000
    assert "250 x 1000" in grant.explanation


def test_a_type_2_organisation_gets_the_fixed_amount_whatever_its_size() -> None:
    for members in (0, 5000):
        grant = grant_for(org("club", members=members, area="12"), FULL)
        assert grant is not None
        assert (grant.rule, grant.amount, grant.type_no) == (GrantRule.TYPE2, 75000, 2)


def test_without_the_size_rule_a_type_1_organisation_gets_the_amount_per_type_1_organisation() -> (
    None
):
    rules = GrantRules(org_type_1="branch", amount_per_type1_org=300000, amount_per_km2=250)
    grant = grant_for(org(members=1000, area="10"), rules)
    assert grant is not None
    assert (grant.rule, grant.amount) == (GrantRule.PER_TYPE1_ORGANISATION, 300000)


def test_the_last_fallback_pays_by_area_rounded_half_up() -> None:
    rules = GrantRules(org_type_1="branch", org_type_2="club", amount_per_km2=250)
    branch = grant_for(org(members=1000, area="12.5"), rules)
    # 250 x 0.002 = 0.5 → 1 (half up); 250 x 0.001 = 0.25 → 0.
    half = grant_for(org("club", area="0.002"), rules)
    quarter = grant_for(org("club", area="0.001"), rules)
    assert branch is not None
    assert half is not None
    assert quarter is not None
    assert (branch.rule, branch.amount) == (GrantRule.PER_KM2, 3125)
    assert (half.rule, half.amount, quarter.amount) == (GrantRule.PER_KM2, 1, 0)


def test_per_km2_without_an_area_and_no_parameter_at_all_grant_nothing_and_say_why() -> None:
    no_area = grant_for(org(members=10), GrantRules(org_type_1="branch", amount_per_km2=250))
    nothing = grant_for(org("club"), GrantRules(org_type_1="branch", org_type_2="club"))
    assert no_area is not None
    assert nothing is not None
    assert (no_area.rule, no_area.amount) == (GrantRule.NONE, 0)
    assert "no area" in no_area.explanation
    assert (nothing.rule, nothing.amount) == (GrantRule.NONE, 0)


def test_a_zero_amount_is_filled_in_and_decides_while_blank_falls_through() -> None:
    zero = GrantRules(org_type_1="branch", amount_per_type1_org=0, amount_per_km2=250)
    grant = grant_for(org(members=1, area="100"), zero)
    assert grant is not None
    assert (grant.rule, grant.amount) == (GrantRule.PER_TYPE1_ORGANISATION, 0)


def test_the_size_rule_counts_blank_size_amounts_as_zero() -> None:
    rules = GrantRules(org_type_1="branch", min_members=10, amount_per_member=100)
    large = grant_for(org(members=10), rules)
    small = grant_for(org(members=9), rules)
    assert large is not None
    assert small is not None
    assert (large.amount, small.rule, small.amount) == (1000, GrantRule.SMALL_TYPE1, 0)


def test_only_organisations_of_the_two_types_get_a_grant_in_id_order() -> None:
    grants = calculate_grants(
        [org("club", at=C), org("region", at=B), org(None, at=B), org("branch", 120, at=A)],
        FULL,
    )
    assert [(g.organisation, g.rule) for g in grants] == [
        (A, GrantRule.LARGE_TYPE1),
        (C, GrantRule.TYPE2),
    ]


def test_no_organisation_type_set_up_is_refused() -> None:
    with pytest.raises(GrantRulesMissing):
        calculate_grants([org()], GrantRules())


@pytest.mark.parametrize(
    ("rules", "named"),
    [
        (GrantRules(org_type_1="branch", amount_per_member=-1), "amount_per_member"),
        (GrantRules(org_type_1="branch", min_members=0), "min_members"),
        (GrantRules(org_type_1="branch", org_type_2="branch"), "both"),
        (GrantRules(org_type_1="branch", base_amount_small_type1=5), "need min_members"),
        (GrantRules(amount_per_type1_org=5), "need org_type_1"),
        (GrantRules(org_type_1="branch", amount_type2=5), "amount_type2 needs org_type_2"),
    ],
)
def test_rules_that_could_never_decide_as_meant_are_refused(rules: GrantRules, named: str) -> None:
    with pytest.raises(InvalidGrantRules, match=named):
        rules.check()


def test_valid_rules_pass_their_check_and_report_what_changed() -> None:
    assert FULL.check() is FULL
    assert GrantRules().check() == GrantRules()
    changed = GrantRules(org_type_1="branch", min_members=5).changed_fields(FULL)
    assert "min_members" in changed
    assert "org_type_1" not in changed


@given(members=st.integers(min_value=0, max_value=10_000), threshold=st.integers(1, 10_000))
def test_the_size_rule_is_large_exactly_from_the_threshold(members: int, threshold: int) -> None:
    rules = GrantRules(
        org_type_1="branch",
        min_members=threshold,
        base_amount_large_type1=1000,
        amount_per_member=3,
        base_amount_small_type1=7,
    )
    grant = grant_for(org(members=members), rules)
    assert grant is not None
    if members >= threshold:
        assert (grant.rule, grant.amount) == (GrantRule.LARGE_TYPE1, 1000 + 3 * members)
    else:
        assert (grant.rule, grant.amount) == (GrantRule.SMALL_TYPE1, 7)
