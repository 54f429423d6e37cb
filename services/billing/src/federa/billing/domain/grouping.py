"""Which charges share a document (SPEC §2.2 rule 27), and chunks that never split a document.

A run is cut into chunks that workers process independently, each in its own transaction, so
the charges of one document must all be in one chunk. Planning orders the selected
subscriptions by their group and cuts only between groups.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar
from uuid import UUID

from federa.billing.domain.ids import MemberId, PayerId


class DocumentGrouping(Enum):
    PER_SUBSCRIPTION = "per_subscription"
    PER_PAYER_MEMBER = "per_payer_member"
    # Across members: lines always keep their member (SPEC §6.3 item 6).
    PER_PAYER = "per_payer"


GroupKey = tuple[UUID, ...]


def group_key(
    grouping: DocumentGrouping, *, subscription: UUID, payer: PayerId, member: MemberId
) -> GroupKey:
    if grouping is DocumentGrouping.PER_SUBSCRIPTION:
        return (subscription,)
    if grouping is DocumentGrouping.PER_PAYER_MEMBER:
        return (payer, member)
    return (payer,)


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Selected(Generic[K]):
    subscription_id: UUID
    group: K


def plan_chunks(selected: Sequence[Selected[K]], size: int) -> list[list[UUID]]:
    """Split subscriptions into chunks of at most `size`, never splitting a group: a chunk
    takes whole groups while they fit, and a group larger than `size` is a chunk of its own.
    Groups keep the order of their first subscription."""
    order: dict[K, list[UUID]] = {}
    for item in selected:
        order.setdefault(item.group, []).append(item.subscription_id)
    return pack_groups(order.values(), size)


def pack_groups(groups: Iterable[Sequence[UUID]], size: int) -> list[list[UUID]]:
    """`plan_chunks` over groups already gathered, in their order."""
    if size < 1:
        raise ValueError("a chunk holds at least one subscription")
    chunks: list[list[UUID]] = []
    current: list[UUID] = []
    for members in groups:
        if current and len(current) + len(members) > size:
            chunks.append(current)
            current = []
        current.extend(members)
    if current:
        chunks.append(current)
    return chunks
