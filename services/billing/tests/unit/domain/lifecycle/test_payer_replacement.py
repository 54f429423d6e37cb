"""Mass payer change (SPEC §2.2 rule 40): each subscription by the rule of a single payer
change (rule 10)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.billing.domain.errors import NoOwnPayerAccount, SubscriptionNotActive
from federa.billing.domain.ids import PayerId
from federa.billing.domain.lifecycle import change_payer
from federa.billing.domain.payer_replacement import pays_from_next_charge, replace_payer
from federa.billing.domain.subscription import payer_on

from .test_changes import CATALOGUE, NEW_PAYER, OLD_PAYER, TODAY, _first_period_billed

OWN = PayerId(uuid.uuid4())


def test_the_members_own_payer_takes_over_from_the_next_charge() -> None:
    state = _first_period_billed()
    assert pays_from_next_charge(state, OLD_PAYER)
    replaced = replace_payer(state, CATALOGUE, own_payer=OWN, today=TODAY, only_active=True)
    by_hand = change_payer(state, CATALOGUE, new_payer=OWN, today=TODAY)
    assert replaced == by_hand
    assert payer_on(replaced.state, date(2025, 1, 1)) == OWN
    assert not pays_from_next_charge(replaced.state, OLD_PAYER)


def test_a_payer_already_changed_away_from_is_not_replaced_again() -> None:
    moved_on = change_payer(_first_period_billed(), CATALOGUE, new_payer=NEW_PAYER, today=TODAY)
    # Still paying the billed year, but not from the next charge.
    assert payer_on(moved_on.state, TODAY) == OLD_PAYER
    assert not pays_from_next_charge(moved_on.state, OLD_PAYER)
    assert pays_from_next_charge(moved_on.state, NEW_PAYER)


def test_only_active_leaves_out_a_subscription_that_has_not_started() -> None:
    state = _first_period_billed()
    before_start = date(2023, 12, 1)
    with pytest.raises(SubscriptionNotActive):
        replace_payer(state, CATALOGUE, own_payer=OWN, today=before_start, only_active=True)
    replaced = replace_payer(state, CATALOGUE, own_payer=OWN, today=before_start, only_active=False)
    assert payer_on(replaced.state, date(2025, 1, 1)) == OWN


def test_a_member_without_an_own_payer_account_is_refused() -> None:
    with pytest.raises(NoOwnPayerAccount):
        replace_payer(
            _first_period_billed(), CATALOGUE, own_payer=None, today=TODAY, only_active=True
        )
