"""Reserving blocks of gapless numbers in the tenant's `number_sequences` (see
`domain/numbering.py` for why blocks, and why at the end of the transaction)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.documents import DocumentKind
from federa.billing.domain.numbering import NumberBlock

_RESERVE = text(
    """
    INSERT INTO number_sequences (tenant, kind, last_number) VALUES (:tenant, :kind, :count)
    ON CONFLICT (tenant, kind) DO UPDATE SET last_number = number_sequences.last_number + :count
    RETURNING last_number
    """
)


_PEEK = text("SELECT last_number FROM number_sequences WHERE tenant = :tenant AND kind = :kind")


def sequence_of(kind: DocumentKind) -> str:
    """Each document kind numbers in a sequence of its own (SPEC §2.2 *Document*: orders,
    invoices and credit memos have separate sequences)."""
    return f"document:{kind.value}"


async def reserve_numbers_in_tx(
    session: AsyncSession, tenant: str, kind: DocumentKind, count: int
) -> NumberBlock:
    """Take `count` numbers; the sequence row stays locked until the transaction ends, and a
    rollback gives the whole block back."""
    if count == 0:
        return NumberBlock(1, 0)
    result = await session.execute(
        _RESERVE, {"tenant": tenant, "kind": sequence_of(kind), "count": count}
    )
    return NumberBlock.ending_at(int(result.scalar_one()), count)


async def peek_numbers_in_tx(
    session: AsyncSession, tenant: str, kind: DocumentKind, count: int
) -> NumberBlock:
    """The block `reserve_numbers_in_tx` would give if no one reserved before it: read without
    a lock, so a caller can prepare its rows before it takes the lock, and must compare."""
    if count == 0:
        return NumberBlock(1, 0)
    result = await session.execute(_PEEK, {"tenant": tenant, "kind": sequence_of(kind)})
    last = result.scalar_one_or_none()
    return NumberBlock(int(last or 0) + 1, count)
