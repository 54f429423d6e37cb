"""What changed between two states of a member, for the history and `changed_fields`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """`{field: {"from": old, "to": new}}` for every field whose value differs."""
    diff: dict[str, dict[str, Any]] = {}
    for field in fields:
        old, new = before.get(field), after.get(field)
        if _plain(old) != _plain(new):
            diff[field] = {"from": _plain(old), "to": _plain(new)}
    return diff
