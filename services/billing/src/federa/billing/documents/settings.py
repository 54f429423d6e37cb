"""A tenant's invoicing settings: mode (rule 28), grouping (rule 27), payment terms, and the
VAT rate and accounts each product's lines are posted with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.deferral import DeferralSchedule, check_deferral_accounting
from federa.billing.domain.documents import InvoicingMode, LineAccounting
from federa.billing.domain.grouping import DocumentGrouping
from federa.billing.storage.documents_tables import invoicing_settings

# Decision: payment within 14 days, the common Nordic term for membership dues.
DEFAULT_PAYMENT_TERMS_DAYS = 14


@dataclass(frozen=True)
class InvoicingSettings:
    tenant: str
    invoicing_mode: InvoicingMode = InvoicingMode.INVOICE
    document_grouping: DocumentGrouping = DocumentGrouping.PER_PAYER_MEMBER
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    product_accounting: Mapping[str, LineAccounting] = field(default_factory=dict)
    gift_posting_type: str | None = None


def accounting_from_json(raw: Mapping[str, Any]) -> dict[str, LineAccounting]:
    return {
        product: LineAccounting(
            vat_rate=Decimal(str(values.get("vat_rate") or 0)),
            posting_type=values.get("posting_type"),
            revenue_account=values.get("revenue_account"),
            dimension_1=values.get("dimension_1"),
            dimension_2=values.get("dimension_2"),
            deferral_account=values.get("deferral_account"),
            postage_deferral_account=values.get("postage_deferral_account"),
            deferral_schedule=_schedule_of(values),
        )
        for product, values in raw.items()
    }


def _schedule_of(values: Mapping[str, Any]) -> DeferralSchedule:
    """Rule 33: a deferral account defers; an explicit `none` keeps the account unused (the
    source's *Ingen periodisering*)."""
    if values.get("deferral_schedule"):
        return DeferralSchedule(values["deferral_schedule"])
    if values.get("deferral_account") or values.get("postage_deferral_account"):
        return DeferralSchedule.PER_FISCAL_PERIOD
    return DeferralSchedule.NONE


def check_accounting(accounting: Mapping[str, LineAccounting]) -> None:
    for product, values in accounting.items():
        check_deferral_accounting(
            product,
            schedule=values.deferral_schedule,
            deferral_account=values.deferral_account,
            postage_deferral_account=values.postage_deferral_account,
            revenue_account=values.revenue_account,
        )


def accounting_to_json(accounting: Mapping[str, LineAccounting]) -> dict[str, Any]:
    return {
        product: {
            "vat_rate": str(values.vat_rate),
            "posting_type": values.posting_type,
            "revenue_account": values.revenue_account,
            "dimension_1": values.dimension_1,
            "dimension_2": values.dimension_2,
            "deferral_account": values.deferral_account,
            "postage_deferral_account": values.postage_deferral_account,
            "deferral_schedule": values.deferral_schedule.value,
        }
        for product, values in accounting.items()
    }


async def invoicing_settings_of(session: AsyncSession, tenant: str) -> InvoicingSettings:
    """The tenant's settings; the defaults while it has saved none."""
    row = (
        (
            await session.execute(
                select(invoicing_settings).where(invoicing_settings.c.tenant == tenant)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return InvoicingSettings(tenant)
    return InvoicingSettings(
        tenant=tenant,
        invoicing_mode=InvoicingMode(row["invoicing_mode"]),
        document_grouping=DocumentGrouping(row["document_grouping"]),
        payment_terms_days=row["payment_terms_days"],
        product_accounting=accounting_from_json(row["product_accounting"]),
        gift_posting_type=row["gift_posting_type"],
    )


async def save_invoicing_settings_in_tx(session: AsyncSession, settings: InvoicingSettings) -> None:
    check_accounting(settings.product_accounting)  # rule 33: before anything is written
    values = {
        "tenant": settings.tenant,
        "invoicing_mode": settings.invoicing_mode.value,
        "document_grouping": settings.document_grouping.value,
        "payment_terms_days": settings.payment_terms_days,
        "product_accounting": accounting_to_json(settings.product_accounting),
        "gift_posting_type": settings.gift_posting_type,
    }
    statement = insert(invoicing_settings).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[invoicing_settings.c.tenant],
            set_={k: statement.excluded[k] for k in values if k != "tenant"},
        )
    )
