"""The tenant's welcome-letter setup (SPEC §2.2 rule 7), in billing's one MetaData (migration
0005). One row per tenant: the method and the texts a letter is composed from; the price-code
and channel texts are small maps read whole on every start, so they live as JSON beside it."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB

from federa.billing.storage.tables import metadata

welcome_settings = Table(
    "welcome_settings",
    metadata,
    Column("tenant", Text, primary_key=True),
    Column("method", Text, nullable=False, server_default=text("'none'")),
    Column("recruit_text", Text),
    # [{"product": "MEDLEM", "price_code": "STUD", "template_code": "W1", "text": "…"}]
    Column("price_codes", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # {"FAIR": "Thank you for visiting our stand."}
    Column("channels", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default=text("''")),
    CheckConstraint(
        "method IN ('none', 'template', 'internal_text')", name="ck_welcome_settings_method"
    ),
)
