"""Rule 27: which charges share a document; chunks never split a document."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.billing.domain.grouping import DocumentGrouping, Selected, group_key, plan_chunks
from federa.billing.domain.ids import MemberId, PayerId

PAYER = PayerId(uuid.uuid4())
ANNA, BO = MemberId(uuid.uuid4()), MemberId(uuid.uuid4())


def keys(grouping: DocumentGrouping) -> set[tuple[uuid.UUID, ...]]:
    charges = [(uuid.uuid4(), ANNA), (uuid.uuid4(), ANNA), (uuid.uuid4(), BO)]
    return {group_key(grouping, subscription=s, payer=PAYER, member=m) for s, m in charges}


@pytest.mark.parametrize(
    ("grouping", "documents"),
    [
        (DocumentGrouping.PER_SUBSCRIPTION, 3),
        (DocumentGrouping.PER_PAYER_MEMBER, 2),
        (DocumentGrouping.PER_PAYER, 1),
    ],
)
def test_one_payer_paying_three_subscriptions_of_two_members(
    grouping: DocumentGrouping, documents: int
) -> None:
    assert len(keys(grouping)) == documents


def test_chunks_take_whole_groups_while_they_fit() -> None:
    a, b, c = "a", "b", "c"
    ids = [uuid.uuid4() for _ in range(6)]
    selected = [Selected(ids[0], a), Selected(ids[1], a), Selected(ids[2], b)]
    selected += [Selected(ids[3], b), Selected(ids[4], b), Selected(ids[5], c)]
    assert plan_chunks(selected, 3) == [ids[0:2], ids[2:5], ids[5:6]]


def test_a_group_larger_than_a_chunk_is_a_chunk_of_its_own() -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    selected = [Selected(ids[0], "small")] + [Selected(i, "big") for i in ids[1:]]
    assert plan_chunks(selected, 2) == [ids[0:1], ids[1:5]]


def test_a_chunk_holds_at_least_one_subscription() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plan_chunks([], 0)


@given(
    groups=st.lists(st.integers(min_value=0, max_value=8), min_size=0, max_size=60),
    size=st.integers(min_value=1, max_value=10),
)
def test_chunks_cover_every_subscription_once_and_never_split_a_group(
    groups: list[int], size: int
) -> None:
    selected = [Selected(uuid.uuid4(), group) for group in groups]
    chunks = plan_chunks(selected, size)
    assert sorted(i for chunk in chunks for i in chunk) == sorted(
        s.subscription_id for s in selected
    )
    group_of = {s.subscription_id: s.group for s in selected}
    chunk_of_group: dict[int, int] = {}
    for number, chunk in enumerate(chunks):
        members = {group_of[i] for i in chunk}
        for group in members:
            assert chunk_of_group.setdefault(group, number) == number
        if len(chunk) > size:
            assert len(members) == 1
