"""SPEC §4.3 (source 001): who is a member, and the members' movement."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from federa.statistics.domain.ages import age_bucket
from federa.statistics.domain.membership import Spell, grants_membership, member_movement, spans
from federa.statistics.domain.periods import Period, months_covered, whole_months

D = date


@pytest.mark.parametrize(
    ("grants", "running", "commitment", "interval", "member"),
    [
        (True, True, 0, 1, True),  # a running autogiro subscription
        (True, False, 12, 1, True),  # a year's commitment
        (True, False, 0, 12, True),  # a prepaid annual card
        (True, False, 6, 6, False),  # a half-year card grants nothing
        (False, True, 12, 12, False),  # a staff card: the product does not grant membership
    ],
)
def test_grants_membership(
    grants: bool, running: bool, commitment: int, interval: int, member: bool
) -> None:
    assert (
        grants_membership(
            product_grants=grants,
            auto_renews=running,
            commitment_months=commitment,
            interval_months=interval,
        )
        is member
    )


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        (D(2024, 1, 1), D(2024, 12, 31), 12),
        (D(2024, 3, 15), D(2025, 3, 14), 12),  # 1Å-1D
        (D(2024, 3, 1), D(2024, 8, 31), 6),
        (D(2024, 1, 31), D(2024, 2, 28), 1),
    ],
)
def test_whole_months(first: date, last: date, months: int) -> None:
    assert whole_months(first, last) == months
    assert months_covered(first, last) > 0


M1, M2 = uuid.uuid4(), uuid.uuid4()
YEAR = Period(D(2024, 1, 1), D(2024, 12, 31))


def test_edge_to_edge_subscriptions_are_one_membership() -> None:
    merged = spans(
        [
            Spell(M1, D(2023, 1, 1), D(2024, 3, 31), "X"),
            Spell(M1, D(2024, 4, 1), D(2024, 8, 31), "MOVED"),
        ]
    )
    assert [(s.first, s.last, s.leave_reason) for s in merged] == [
        (D(2023, 1, 1), D(2024, 8, 31), "MOVED")
    ]


def test_member_movement_adds_up_and_reports_influenceable_leaves_apart() -> None:
    all_spans = spans(
        [
            Spell(M1, D(2023, 1, 1), D(2024, 3, 31), "MOVED"),
            Spell(M1, D(2024, 6, 1), None),  # comes back: a second join
            Spell(M2, D(2024, 2, 1), D(2024, 10, 31), "PRICE"),
            Spell(uuid.uuid4(), D(2022, 1, 1), None),
        ]
    )
    result = member_movement(all_spans, YEAR, frozenset({"PRICE"}))
    assert (result.opening, result.joined, result.left, result.closing) == (2, 2, 2, 2)
    assert result.opening + result.joined - result.left == result.closing
    assert result.leave_reasons == {"MOVED": 1, "PRICE": 1}
    assert result.influenceable_left == 1


@pytest.mark.parametrize(
    ("birth", "year", "bucket"),
    [
        (D(1935, 12, 31), None, ("before", "at_least")),
        (D(1936, 1, 1), None, ("from", "at_least")),
        (D(1959, 6, 30), None, ("from", "at_least")),  # 65 on the reference day
        (D(1959, 7, 1), None, ("from", "under")),
        (None, 1990, ("from", "under")),
        (None, None, ("unknown", "unknown")),
    ],
)
def test_age_buckets(birth: date | None, year: int | None, bucket: tuple[str, str]) -> None:
    assert age_bucket(birth, year, D(2024, 6, 30), 1936, 65) == bucket
