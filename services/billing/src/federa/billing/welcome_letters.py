"""Reading and saving the tenant's welcome-letter setup; the rule is `domain/welcome.py`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from federa.billing.domain.welcome import PriceCodeWelcome, WelcomeMethod, WelcomeSettings
from federa.billing.storage.welcome_tables import welcome_settings

DEFAULTS: dict[str, Any] = {
    "method": "none",
    "recruit_text": None,
    "price_codes": [],
    "channels": {},
}


async def welcome_row(session: AsyncSession, tenant: str) -> dict[str, Any]:
    row = (
        (await session.execute(select(welcome_settings).where(welcome_settings.c.tenant == tenant)))
        .mappings()
        .one_or_none()
    )
    return DEFAULTS | ({} if row is None else {k: row[k] for k in DEFAULTS})


async def save_welcome_in_tx(
    session: AsyncSession, tenant: str, values: dict[str, Any], *, actor: str
) -> None:
    row = {"tenant": tenant, **values, "updated_by": actor}
    statement = insert(welcome_settings).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[welcome_settings.c.tenant],
            set_={k: statement.excluded[k] for k in (*values, "updated_by")},
        )
    )


async def welcome_settings_of(session: AsyncSession, tenant: str) -> WelcomeSettings:
    row = await welcome_row(session, tenant)
    return WelcomeSettings(
        method=WelcomeMethod(row["method"]),
        recruit_text=row["recruit_text"],
        price_codes={
            (p["product"], p["price_code"]): PriceCodeWelcome(p.get("template_code"), p.get("text"))
            for p in row["price_codes"]
        },
        channels=dict(row["channels"]),
    )
