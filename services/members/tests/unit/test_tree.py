from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federa.members.domain.tree import (
    ancestor_ids,
    moving_creates_loop,
    path_of,
    reparented,
    self_and_ancestors,
)

ids = st.lists(st.uuids(), min_size=1, max_size=8, unique=True)


def _path(chain: list[uuid.UUID]) -> str:
    path = None
    for org in chain:
        path = path_of(path, org)
    assert path is not None
    return path


@given(ids)
def test_ancestors_are_the_chain_above_root_first(chain: list[uuid.UUID]) -> None:
    path = _path(chain)
    assert ancestor_ids(path) == chain[:-1]
    assert self_and_ancestors(path) == chain


@given(ids, st.data())
def test_nothing_moves_beneath_itself(chain: list[uuid.UUID], data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(chain) - 1))
    moving = _path(chain[: cut + 1])
    beneath = _path(chain[: data.draw(st.integers(cut, len(chain) - 1)) + 1])
    assert moving_creates_loop(moving, beneath)


def test_a_sibling_is_not_beneath() -> None:
    root, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert not moving_creates_loop(_path([root, a]), _path([root, b]))


def test_reparenting_keeps_the_part_below_the_moved_organisation() -> None:
    root, a, b, child = (uuid.uuid4() for _ in range(4))
    old = _path([root, a])
    new = _path([root, b, a])
    assert reparented(_path([root, a, child]), old, new) == _path([root, b, a, child])
    with pytest.raises(ValueError, match="not within"):
        reparented(_path([root, b]), old, new)
