"""Which unpaid orders a zero-value close takes (SPEC §2.2 rule 36, *Bogfør salgsbilag til
0 kr*): open orders posted before a date, optionally of one run or with a line of one product.

Decision (README "Close at zero"): a closed order is cancelled with reason `closed_at_zero`
and its charges stay in the billing log, so its periods remain billed and nothing is owed for
them; no zero-amount invoice is issued (it would take invoice numbers for nothing).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True)
class OpenOrder:
    kind: str
    status: str
    posting_date: date
    billing_run_id: UUID | None
    products: Collection[str]


@dataclass(frozen=True)
class CloseCriteria:
    posting_date_before: date
    product: str | None = None
    billing_run_id: UUID | None = None

    def takes(self, order: OpenOrder) -> bool:
        return (
            order.kind == "order"
            and order.status == "open"
            and order.posting_date < self.posting_date_before
            and (self.billing_run_id is None or order.billing_run_id == self.billing_run_id)
            and (self.product is None or self.product in order.products)
        )
