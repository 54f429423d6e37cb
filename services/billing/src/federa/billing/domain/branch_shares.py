"""Branch shares: a fixed amount per product and organisation, forwarded to the branch for each
billed subscription (SPEC §1.2 *Ydelse/Organisation beløb*, §2.2 rule 34)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from federa.billing.domain.errors import InvalidCatalogue
from federa.billing.domain.ids import OrganisationId


@dataclass(frozen=True)
class BranchShare:
    product: str
    organisation: OrganisationId
    organisation_name: str
    amount: int

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise InvalidCatalogue(f"branch share for {self.organisation_name} is negative")


def check_branch_shares(shares: Sequence[BranchShare]) -> None:
    keys = [(share.product, share.organisation) for share in shares]
    if len(keys) != len(set(keys)):
        raise InvalidCatalogue("one organisation has two shares of the same product")


def branch_share_for(
    shares: Sequence[BranchShare], product: str, organisation: OrganisationId | None
) -> BranchShare | None:
    if organisation is None:
        return None
    return next(
        (s for s in shares if s.product == product and s.organisation == organisation), None
    )
