"""Branch settlement (SPEC §2.2 rule 34, flow F12): what the federation owes each branch for a
period, from the branch shares stamped on the lines of posted documents.

Pure: the transaction reads the lines not settled yet, this decides. An invoice line adds its
share, a credit memo line (a copy of the credited line, share included) takes it back, so a
credited charge nets to nothing whichever period each falls in. A line with no branch or a
zero share settles nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.ids import OrganisationId

CREDIT_MEMO = "credit_memo"


@dataclass(frozen=True)
class ShareLine:
    document_id: UUID
    line_no: int
    document_no: str
    document_kind: str  # invoice | credit_memo
    posting_date: date
    organisation: OrganisationId | None
    share: int

    @property
    def amount(self) -> int:
        """What the line adds to its branch's settlement."""
        return -self.share if self.document_kind == CREDIT_MEMO else self.share


@dataclass(frozen=True)
class Settlement:
    organisation: OrganisationId
    lines: tuple[ShareLine, ...]

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def documents(self) -> int:
        return len({line.document_id for line in self.lines})


def check_period(period_from: date, period_to: date) -> None:
    if period_to < period_from:
        raise ImpossibleDates(f"the period ends {period_to} before it starts {period_from}")


def settle(lines: Iterable[ShareLine]) -> list[Settlement]:
    """One settlement per organisation with a share in `lines`, in organisation id order."""
    by_branch: dict[OrganisationId, list[ShareLine]] = {}
    for line in lines:
        if line.organisation is None or line.share == 0:
            continue
        by_branch.setdefault(line.organisation, []).append(line)
    return [
        Settlement(organisation, tuple(found))
        for organisation, found in sorted(by_branch.items(), key=lambda item: str(item[0]))
    ]
