"""The organisation tree as materialised paths: `/<root>/<child>/…/<self>/`."""

from __future__ import annotations

from uuid import UUID


def path_of(parent_path: str | None, organisation_id: UUID) -> str:
    return f"{parent_path or '/'}{organisation_id.hex}/"


def ancestor_ids(path: str) -> list[UUID]:
    """Root first; the organisation itself excluded."""
    parts = [p for p in path.split("/") if p]
    return [UUID(hex=p) for p in parts[:-1]]


def self_and_ancestors(path: str) -> list[UUID]:
    return [UUID(hex=p) for p in path.split("/") if p]


def is_within(path: str, subtree_path: str) -> bool:
    return path.startswith(subtree_path)


def moving_creates_loop(moving_path: str, new_parent_path: str) -> bool:
    """An organisation cannot move under itself or anything beneath it."""
    return is_within(new_parent_path, moving_path)


def reparented(path: str, old_prefix: str, new_prefix: str) -> str:
    if not path.startswith(old_prefix):
        raise ValueError(f"{path} is not within {old_prefix}")
    return new_prefix + path[len(old_prefix) :]
