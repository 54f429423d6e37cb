"""Which unpaid orders a zero-value close takes (SPEC §2.2 rule 36)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.billing.domain.orders import CloseCriteria, OpenOrder

RUN = uuid.uuid4()
ORDER = OpenOrder("order", "open", date(2025, 6, 15), RUN, {"MEDLEM", "ANNUAL"})


@pytest.mark.parametrize(
    ("criteria", "takes"),
    [
        (CloseCriteria(date(2025, 7, 1)), True),
        (CloseCriteria(date(2025, 6, 15)), False),  # posted on the day: not before it
        (CloseCriteria(date(2025, 7, 1), product="MEDLEM"), True),
        (CloseCriteria(date(2025, 7, 1), product="MAGAZINE"), False),
        (CloseCriteria(date(2025, 7, 1), billing_run_id=RUN), True),
        (CloseCriteria(date(2025, 7, 1), billing_run_id=uuid.uuid4()), False),
    ],
)
def test_an_open_order_is_taken_when_every_criterion_holds(
    criteria: CloseCriteria, takes: bool
) -> None:
    assert criteria.takes(ORDER) is takes


@pytest.mark.parametrize(
    "order",
    [
        OpenOrder("order", "posted", date(2025, 6, 1), None, ()),
        OpenOrder("order", "cancelled", date(2025, 6, 1), None, ()),
        OpenOrder("invoice", "posted", date(2025, 6, 1), None, ()),
        OpenOrder("draft_invoice", "open", date(2025, 6, 1), None, ()),
    ],
)
def test_only_open_orders_are_closed(order: OpenOrder) -> None:
    assert not CloseCriteria(date(2025, 7, 1)).takes(order)
