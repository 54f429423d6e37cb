"""The tenant's fiscal year and deferral journal, kept beside its invoicing settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.deferral import FiscalYear
from federa.billing.storage.deferral_tables import deferral_recognitions, deferral_setup
from federa.shared.http.problems import Problem


@dataclass(frozen=True)
class DeferralSetup:
    tenant: str
    fiscal_year: FiscalYear = field(default_factory=FiscalYear)
    # *Periodiseringsfinanskladdetype/-navn*: the journal the ledger posts recognitions in.
    journal_type: str | None = None
    journal_name: str | None = None


async def setup_of(session: AsyncSession, tenant: str) -> DeferralSetup:
    """The tenant's setup; a calendar fiscal year and no journal while it has saved none."""
    row = (
        (await session.execute(select(deferral_setup).where(deferral_setup.c.tenant == tenant)))
        .mappings()
        .one_or_none()
    )
    if row is None:
        return DeferralSetup(tenant)
    return DeferralSetup(
        tenant=tenant,
        fiscal_year=FiscalYear(row["fiscal_year_first_month"]),
        journal_type=row["journal_type"],
        journal_name=row["journal_name"],
    )


async def save_setup_in_tx(session: AsyncSession, setup: DeferralSetup, *, actor: str) -> None:
    """Decision: the fiscal year's first month is fixed once anything was recognised, because
    the published events numbered their periods by it; the journal may change any time."""
    current = await setup_of(session, setup.tenant)
    if current.fiscal_year != setup.fiscal_year:
        recognised = (
            await session.execute(
                select(exists().where(deferral_recognitions.c.tenant == setup.tenant))
            )
        ).scalar_one()
        if recognised:
            raise Problem(
                409,
                "fiscal-year-in-use",
                "Refused in the current state",
                "Revenue was recognised with the current fiscal year; its first month can no "
                "longer change.",
            )
    values = {
        "tenant": setup.tenant,
        "fiscal_year_first_month": setup.fiscal_year.first_month,
        "journal_type": setup.journal_type,
        "journal_name": setup.journal_name,
        "updated_by": actor,
    }
    statement = insert(deferral_setup).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[deferral_setup.c.tenant],
            set_={
                **{k: statement.excluded[k] for k in values if k != "tenant"},
                "updated_at": statement.excluded.updated_at,
            },
        )
    )
