"""Members by SPEC §4.3 (source 001): a member is a person using a subscription of a product
that grants membership and that is running (renews by itself), or has a commitment of at least
12 months, or a billing interval of at least 12 months. A half-year card grants nothing.

A person's membership is the union of their qualifying subscriptions' validity; joins and
leaves are the starts and ends of those unions, so opening + joined - left = closing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from federa.statistics.domain.periods import Period

MEMBERSHIP_MONTHS = 12


def grants_membership(
    *, product_grants: bool, auto_renews: bool, commitment_months: int, interval_months: int
) -> bool:
    if not product_grants:
        return False
    return (
        auto_renews
        or commitment_months >= MEMBERSHIP_MONTHS
        or interval_months >= MEMBERSHIP_MONTHS
    )


@dataclass(frozen=True)
class Spell:
    """One qualifying subscription of a person."""

    member_id: UUID
    first: date
    last: date | None  # None: running
    stop_reason: str | None = None


@dataclass(frozen=True)
class Span:
    member_id: UUID
    first: date
    last: date | None
    # The stop reason of the subscription whose end ended the membership.
    leave_reason: str | None


def spans(spells: Iterable[Spell]) -> list[Span]:
    """Merge each person's overlapping or edge-to-edge spells into membership spans."""
    by_member: dict[UUID, list[Spell]] = defaultdict(list)
    for s in spells:
        if s.last is None or s.last >= s.first:
            by_member[s.member_id].append(s)
    out: list[Span] = []
    for member_id, own in by_member.items():
        own.sort(key=lambda s: s.first)
        first, last, reason = own[0].first, own[0].last, own[0].stop_reason
        for s in own[1:]:
            if last is None or s.first <= last + timedelta(days=1):
                if last is not None and (s.last is None or s.last > last):
                    last, reason = s.last, s.stop_reason
                continue
            out.append(Span(member_id, first, last, reason))
            first, last, reason = s.first, s.last, s.stop_reason
        out.append(Span(member_id, first, last, reason))
    return out


@dataclass
class MemberMovement:
    opening: int = 0
    joined: int = 0
    left: int = 0
    closing: int = 0
    leave_reasons: Counter[str] = field(default_factory=Counter)
    influenceable_left: int = 0


def member_movement(
    all_spans: Iterable[Span], period: Period, influenceable: frozenset[str]
) -> MemberMovement:
    result = MemberMovement()
    for s in all_spans:
        if s.first > period.last or (s.last is not None and s.last < period.first):
            continue
        if s.first < period.first:
            result.opening += 1
        else:
            result.joined += 1
        if s.last is not None and s.last <= period.last:
            result.left += 1
            reason = s.leave_reason or "(none)"
            result.leave_reasons[reason] += 1
            if reason in influenceable:
                result.influenceable_left += 1
        else:
            result.closing += 1
    return result
