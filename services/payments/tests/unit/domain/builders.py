"""Small builders for the domain tests: items named by letter, oldest first."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from federa.payments.domain.items import OpenItem

_BASE = date(2026, 1, 1)
_IDS: dict[str, uuid.UUID] = {}


def doc(name: str) -> uuid.UUID:
    return _IDS.setdefault(name, uuid.uuid5(uuid.NAMESPACE_OID, name))


def item(
    name: str,
    remaining: int,
    *,
    age: int = 0,
    kind: str = "invoice",
    posting_types: tuple[str, ...] = (),
) -> OpenItem:
    """`age` days after the base due date; a lower age is older."""
    return OpenItem(
        document_id=doc(name),
        document_no=str(1000 + age),
        kind=kind,
        remaining=remaining,
        due_date=_BASE + timedelta(days=age),
        posting_date=_BASE + timedelta(days=age - 30),
        posting_types=posting_types,
    )


def items(*amounts: int) -> list[OpenItem]:
    """Items A, B, C… with these remaining amounts, A the oldest."""
    return [item(chr(ord("A") + n), amount, age=n) for n, amount in enumerate(amounts)]
