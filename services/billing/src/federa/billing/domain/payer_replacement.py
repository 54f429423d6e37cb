"""Mass payer change (SPEC §2.2 rule 40): payer X is replaced by each member's own payer.

Each subscription goes through the single payer change of rule 10 (`change_payer`), so a mass
change dates, writes and publishes exactly what one change by hand would.
"""

from __future__ import annotations

from datetime import date

from federa.billing.domain.catalogue import Catalogue
from federa.billing.domain.errors import NoOwnPayerAccount, SubscriptionNotActive
from federa.billing.domain.ids import PayerId
from federa.billing.domain.lifecycle import Changed, change_payer
from federa.billing.domain.subscription import (
    SubscriptionState,
    SubscriptionStatus,
    next_unbilled_date,
    payer_on,
    status_on,
)


def pays_from_next_charge(state: SubscriptionState, payer: PayerId) -> bool:
    """Whether `payer` is the one invoiced from the next unbilled date on: the payer a change
    replaces (a change already dated ahead counts, one in the past does not)."""
    return payer_on(state, next_unbilled_date(state)) == payer


def replace_payer(
    state: SubscriptionState,
    catalogue: Catalogue,
    *,
    own_payer: PayerId | None,
    today: date,
    only_active: bool,
) -> Changed:
    """Rule 40 for one subscription: its member's own payer from the day after the latest
    invoiced period. `only_active` leaves out subscriptions that have not started yet."""
    if only_active and status_on(state, today) is not SubscriptionStatus.ACTIVE:
        raise SubscriptionNotActive(f"subscription {state.subscription_no} is not active today")
    if own_payer is None:
        raise NoOwnPayerAccount(
            f"the member of subscription {state.subscription_no} has no own payer account yet"
        )
    return change_payer(state, catalogue, new_payer=own_payer, today=today)
