"""A tenant's application setup (SPEC §2.3 *Application setup*): stored as one JSON document,
validated by `SetupDocument`, handed to the domain as `ApplicationSetup`.

A tenant payments has not heard of has the defaults: ledger currency DKK, every source on
"as much as possible" with gift on overpayment, write-off off, open-item matching.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.payments.domain.setup import (
    ApplicationSetup,
    MatchingMode,
    Overpayment,
    SourceKind,
    SourceSetup,
    Strategy,
    Tolerance,
    Underpayment,
)
from federa.payments.sources.currencies import is_currency
from federa.payments.storage.tables import application_setups


class SourceSetupDocument(BaseModel):
    strategy: Strategy = Strategy.AS_MUCH_AS_POSSIBLE
    overpayment: Overpayment = Overpayment.GIFT
    underpayment: Underpayment = Underpayment.WRITE_OFF


class ToleranceDocument(BaseModel):
    amount: int = Field(default=0, ge=0)
    percent: Decimal = Field(default=Decimal(0), ge=0, le=100)


class SetupDocument(BaseModel):
    """The tenant's application setup as the API shows and takes it."""

    currency: str = "DKK"
    sources: dict[SourceKind, SourceSetupDocument] = Field(default_factory=dict)
    writeoff_enabled: bool = False
    writeoff_max: int = Field(default=0, ge=0)
    tolerance: ToleranceDocument | None = None
    default_matching_mode: MatchingMode = MatchingMode.OPEN_ITEM
    priority: list[str] = Field(default_factory=list)
    gift_posting_type: str = "GIFT"
    # An excess of exactly this amount is a reminder fee paid with the invoice (Membra): it
    # waits for a person instead of becoming a gift. 0: off.
    reminder_fee: int = Field(default=0, ge=0)
    # The tenant's own account, the debtor of refunds (pain.001).
    refund_account_iban: str = "DK5000400440116243"
    refund_account_bic: str | None = None
    company_name: str = "Federa"

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"unknown currency {value!r}")
        return value

    def to_domain(self) -> ApplicationSetup:
        return ApplicationSetup(
            sources={
                kind: SourceSetup(s.strategy, s.overpayment, s.underpayment)
                for kind, s in self.sources.items()
            },
            writeoff_enabled=self.writeoff_enabled,
            writeoff_max=self.writeoff_max,
            tolerance=(
                Tolerance(self.tolerance.amount, self.tolerance.percent)
                if self.tolerance is not None
                else None
            ),
            default_matching_mode=self.default_matching_mode,
            priority=tuple(self.priority),
            gift_posting_type=self.gift_posting_type,
            reminder_fee=self.reminder_fee,
        )


async def setup_of(session: AsyncSession, tenant: str) -> SetupDocument:
    row = (
        await session.execute(
            select(application_setups.c.setup).where(application_setups.c.tenant == tenant)
        )
    ).scalar_one_or_none()
    return SetupDocument() if row is None else SetupDocument.model_validate(row)


async def save_setup_in_tx(session: AsyncSession, tenant: str, setup: SetupDocument) -> None:
    document = setup.model_dump(mode="json")
    statement = insert(application_setups).values(tenant=tenant, setup=document)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant"],
            set_={"setup": document, "updated_at": statement.excluded.updated_at},
        )
    )
