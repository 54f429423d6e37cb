"""Tables of recruitment gifts (SPEC §2.2 rule 39, *Hvervegave*; MM 2013 §9.8 *Udlæs
Hvervegaveliste*), in billing's one MetaData (migration 0006r).

- `recruitment_gift_channels`: per acquisition channel (*Oprettelsesårsagskode*) its gift item
  (*Varenr.*) and whether the gift goes to the recruited member (*Udfyld MTM Vare Medlemsnr.*);
  billing's own setup, like the welcome texts per channel (only this rule reads them).
- `subscription_recruitments`: a subscription's `recruited_by_member` and
  `recruitment_gift_item` (SPEC §2.1 *Subscription*), written by the start that names a
  recruiter or by `PUT /v1/subscriptions/{id}/recruitment`.
- `recruitment_gifts`: one gift per recruited subscription, due when its first charge was paid
  in full; `invoice_document_id` is set once by the zero-value invoice that fulfils it.
- `recruitment_gift_invoicings`: the first result of a zero-invoice request per
  `Idempotency-Key`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from federa.billing.storage.tables import metadata

recruitment_gift_channels = Table(
    "recruitment_gift_channels",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("code", Text, nullable=False),
    # No item: a recruitment through this channel earns no gift (unless the subscription names
    # its own `recruitment_gift_item`).
    Column("gift_item_no", Text),
    Column("gift_to_new_member", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "code", name="pk_recruitment_gift_channels"),
)

subscription_recruitments = Table(
    "subscription_recruitments",
    metadata,
    Column("subscription_id", Uuid, ForeignKey("subscriptions.id"), primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("recruited_by_member_id", Uuid, nullable=False),
    # Overrides the acquisition channel's gift item for this subscription.
    Column("recruitment_gift_item", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    Index("ix_subscription_recruitments_recruiter", "tenant", "recruited_by_member_id"),
)

recruitment_gifts = Table(
    "recruitment_gifts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant", Text, nullable=False),
    Column("subscription_id", Uuid, ForeignKey("subscriptions.id"), nullable=False),
    Column("subscription_no", BigInteger, nullable=False),
    Column("product", Text, nullable=False),
    Column("acquisition_channel", Text),
    Column("recruit_member_id", Uuid, nullable=False),
    Column("recruiter_member_id", Uuid, nullable=False),
    Column("gift_item_no", Text, nullable=False),
    # recruiter | recruit (the channel's `gift_to_new_member` when the gift fell due)
    Column("recipient", Text, nullable=False),
    Column("recipient_member_id", Uuid, nullable=False),
    # The paid first charge: its document and the payment's value date.
    Column("document_id", Uuid, ForeignKey("documents.id"), nullable=False),
    Column("document_no", Text, nullable=False),
    Column("payment_id", Uuid, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The zero-value invoice that took the item out of stock (set once).
    Column("invoice_document_id", Uuid, ForeignKey("documents.id")),
    Column("invoice_no", Text),
    Column("fulfilled_at", DateTime(timezone=True)),
    Column("fulfilled_by", Text),
    Column("version", Integer, nullable=False, server_default=text("1")),
    # Once per recruited subscription, however often its payment is heard.
    UniqueConstraint("subscription_id", name="uq_recruitment_gifts_subscription"),
    CheckConstraint("recipient IN ('recruiter', 'recruit')", name="ck_recruitment_gifts_recipient"),
    CheckConstraint(
        "(invoice_document_id IS NULL) = (fulfilled_at IS NULL)",
        name="ck_recruitment_gifts_fulfilled",
    ),
    Index("ix_recruitment_gifts_paid_on", "tenant", "paid_on"),
)

recruitment_gift_invoicings = Table(
    "recruitment_gift_invoicings",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("request", JSONB, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "idempotency_key", name="pk_recruitment_gift_invoicings"),
)
