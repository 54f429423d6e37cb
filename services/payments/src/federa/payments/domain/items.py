"""Open items (SPEC §2.3 *Receivable*) as the application engine sees them, and the order in
which a payer's items are paid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class OpenItem:
    document_id: UUID
    document_no: str
    # invoice | order
    kind: str
    remaining: int
    due_date: date
    posting_date: date
    posting_types: tuple[str, ...] = ()
    member_id: UUID | None = None


def payment_order(items: Sequence[OpenItem], priority: Sequence[str] = ()) -> list[OpenItem]:
    """Oldest first (due date, then posting date, then number); with a priority setup (rule 9)
    items carrying an earlier posting type of the list come first, and items with none of the
    listed types after every listed one."""
    rank = {posting_type: index for index, posting_type in enumerate(priority)}
    unlisted = len(rank)

    def key(item: OpenItem) -> tuple[int, date, date, int, str]:
        best = min((rank.get(t, unlisted) for t in item.posting_types), default=unlisted)
        number = int(item.document_no) if item.document_no.isdigit() else 0
        return (best, item.due_date, item.posting_date, number, item.document_no)

    return sorted((i for i in items if i.remaining > 0), key=key)
