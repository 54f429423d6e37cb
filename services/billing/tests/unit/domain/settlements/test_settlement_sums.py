"""Branch settlement sums (SPEC §2.2 rule 34, flow F12)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.errors import ImpossibleDates
from federa.billing.domain.ids import OrganisationId
from federa.billing.domain.settlements import ShareLine, check_period, settle

A, B = OrganisationId(uuid.UUID(int=1)), OrganisationId(uuid.UUID(int=2))
DAY = date(2025, 6, 15)


def share(org: OrganisationId | None, amount: int, kind: str = "invoice") -> ShareLine:
    return ShareLine(uuid.uuid4(), 1, "1", kind, DAY, org, amount)


def test_each_branch_gets_the_sum_of_its_shares_less_credited_ones() -> None:
    found = settle(
        [share(A, 10000), share(A, 10000), share(B, 4000), share(A, 10000, "credit_memo")]
    )
    assert [(s.organisation, s.amount, s.documents, len(s.lines)) for s in found] == [
        (A, 10000, 3, 3),
        (B, 4000, 1, 1),
    ]


def test_lines_without_a_branch_or_share_settle_nothing() -> None:
    assert settle([share(None, 5000), share(A, 0)]) == []


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ImpossibleDates):
        check_period(date(2025, 6, 30), date(2025, 6, 1))


@given(
    st.lists(
        st.tuples(st.sampled_from([A, B]), st.integers(0, 100_000), st.booleans()), max_size=30
    )
)
def test_settlements_add_up_to_the_shares_invoiced_less_the_shares_credited(
    lines: list[tuple[OrganisationId, int, bool]],
) -> None:
    found = settle(share(o, a, "credit_memo" if c else "invoice") for o, a, c in lines)
    assert sum(s.amount for s in found) == sum(-a if c else a for _, a, c in lines)
