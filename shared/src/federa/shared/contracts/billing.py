"""Events published by the billing service.

Catalogue events carry the whole current state of their aggregate (a product, a price code), so
a consumer keeps its copy with one order-safe upsert whatever the event; subscription events
carry the subscription's ids and what the command changed. Money is integer minor units of the
tenant's currency; rates and percentages are decimals (strings in JSON).

`SubscriptionStoppedV1` predates the rest and keeps its optional fields. The newer events state
the facts every occurrence has as required fields; all of them grow only by optional fields
within a version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import Field

from federa.shared.contracts.registry import EventData, event

# ---------------------------------------------------------------------------------------------
# Catalogue


class BillingTermV1(EventData):
    """A structured period expression (SPEC §6.2): a length in years, months and days, or the
    running year (`until_year_end`, legacy `LÅ`) from the start through 31 December."""

    years: int = 0
    months: int = 0
    days: int = 0
    until_year_end: bool = False


class BranchShareV1(EventData):
    """The fixed part of the product's dues forwarded to a branch (SPEC §2.2 rule 34)."""

    organisation_id: UUID
    amount: int


class ProductStateV1(EventData):
    product_id: UUID
    product_code: str
    description: str
    description_2: str | None = None
    default_price_code: str | None = None
    # none | today | next_term | calendar_year (SPEC §2.2 rule 3)
    default_start_rule: str
    collects_gift: bool = False
    charges_postage: bool = False
    default_billed_qty: int = 1
    default_delivered_qty: int = 1
    default_persons: int = 1
    # Products stopped together with this one (*Ydelser Restancestopstyring*).
    related_stops: list[str] = Field(default_factory=list)
    # The product calendar's reach: first day of its first and last day of its last period.
    periods_from: date | None = None
    periods_through: date | None = None
    branch_shares: list[BranchShareV1] = Field(default_factory=list)


class ProductUpdatedV1(ProductStateV1):
    changed_fields: list[str] = Field(default_factory=list)


class PriceCodeStateV1(EventData):
    price_code_id: UUID
    product_code: str
    price_code: str
    description: str
    external_description: str = ""
    free: bool = False
    first_term: BillingTermV1
    subsequent_term: BillingTermV1
    first_period_discount_pct: Decimal = Decimal(0)
    # fixed | value_bands | payroll (SPEC §2.2 rules 16-18)
    calculation: str
    # Age-banded codes: the price codes the bands point to, youngest first.
    age_band_price_codes: list[str] = Field(default_factory=list)
    sort_order: int = 0


class PriceCodeUpdatedV1(PriceCodeStateV1):
    changed_fields: list[str] = Field(default_factory=list)


class PriceScheduledV1(EventData):
    """A dated price: valid from `from_date` until the price code's next one (rule 15)."""

    price_code_id: UUID
    product_code: str
    price_code: str
    from_date: date
    amount: int
    currency: str


PRODUCT_CREATED = event(
    "billing",
    "product",
    "created",
    1,
    ProductStateV1,
    "A product (membership, subscription, fixed contribution) was added to the catalogue.",
)
PRODUCT_UPDATED = event(
    "billing",
    "product",
    "updated",
    1,
    ProductUpdatedV1,
    "A product changed (its data, calendar, related stops); `changed_fields` names what "
    "changed, the rest is the current state.",
)
PRICE_CODE_CREATED = event(
    "billing",
    "price_code",
    "created",
    1,
    PriceCodeStateV1,
    "A price code (tariff) was added to a product.",
)
PRICE_CODE_UPDATED = event(
    "billing",
    "price_code",
    "updated",
    1,
    PriceCodeUpdatedV1,
    "A price code changed (its data, value bands or payroll tables); `changed_fields` names "
    "what changed.",
)
PRICE_SCHEDULED = event(
    "billing",
    "price",
    "scheduled",
    1,
    PriceScheduledV1,
    "A dated price was scheduled for a price code; future prices are allowed. The subject is "
    "the price code.",
)

# ---------------------------------------------------------------------------------------------
# Tenant setup: settings, reason codes, postage (configuration others may keep copies of)


class BillingSettingsUpdatedV1(EventData):
    """A tenant's billing settings, whole; the subject is the tenant."""

    currency: str
    default_product: str | None = None
    # SPEC §2.2 rule 1: no other product starts unless this one is active on the member.
    prerequisite_product: str | None = None
    default_stop_reason: str
    changed_fields: list[str] = Field(default_factory=list)


class ReasonCodeStateV1(EventData):
    """A reason code, whole (SPEC §2.2 *Reason code*); the subject is the code."""

    code: str
    # start | stop | payer_to | payer_from | move_in | move_out | price_to | price_from
    action: str
    description: str
    credit_on_stop: bool = False
    stop_related: bool = False
    new_member_status: str | None = None


class PostagePriceScheduledV1(EventData):
    """A dated postage price per country, or per postcode within it (SPEC §2.2 rule 21)."""

    postage_price_id: UUID
    country_code: str
    # None: the whole country.
    postcode: str | None = None
    from_date: date
    description: str
    amount: int
    currency: str


SETTINGS_UPDATED = event(
    "billing",
    "settings",
    "updated",
    1,
    BillingSettingsUpdatedV1,
    "A tenant's billing settings changed (currency, default and prerequisite product, default "
    "stop reason); the data is the whole settings.",
)
REASON_CODE_CREATED = event(
    "billing",
    "reason_code",
    "created",
    1,
    ReasonCodeStateV1,
    "A reason code was added (the eight mandatory ones when a tenant is set up).",
)
REASON_CODE_UPDATED = event(
    "billing",
    "reason_code",
    "updated",
    1,
    ReasonCodeStateV1,
    "A reason code changed (description, stop options, the member status a stop sets).",
)
POSTAGE_PRICE_SCHEDULED = event(
    "billing",
    "postage_price",
    "scheduled",
    1,
    PostagePriceScheduledV1,
    "A dated postage price was scheduled for a country or postcode; future prices are allowed.",
)

# ---------------------------------------------------------------------------------------------
# Payer accounts


class PayerAccountStateV1(EventData):
    payer_account_id: UUID
    number: int
    # The member whose own account this is, if any.
    owner_member_id: UUID | None = None
    # The organisation whose own account this is, if any (an organisation paying for its
    # members' subscriptions); its name and address follow the organisation's events.
    owner_organisation_id: UUID | None = None
    name: str
    name_2: str | None = None
    address: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str = "DK"
    email: str | None = None


PAYER_ACCOUNT_CREATED = event(
    "billing",
    "payer_account",
    "created",
    1,
    PayerAccountStateV1,
    "A payer account was created (a member's or an organisation's own, from the first event "
    "billing heard of it).",
)
PAYER_ACCOUNT_UPDATED = event(
    "billing",
    "payer_account",
    "updated",
    1,
    PayerAccountStateV1,
    "A payer account's name or address changed (synced from its member or organisation).",
)

# ---------------------------------------------------------------------------------------------
# Subscriptions


class WelcomeLetterV1(EventData):
    """SPEC §2.2 rule 7: the welcome letter a start asks for. `template`: communications
    renders `template_code`; `internal_text`: `text` is the letter's body, composed by billing
    from the price code's, the acquisition channel's and the "member recruits member" texts."""

    # template | internal_text
    method: str
    template_code: str | None = None
    text: str | None = None


class SubscriptionStartedV1(EventData):
    """SPEC §2.2 rules 1-5: a subscription exists from its START lifecycle entry."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    price_code: str
    payer_account_id: UUID
    reason_code: str
    registration_date: date
    from_date: date
    # Last covered day of a time-limited subscription; None = running.
    to_date: date | None = None
    billed_qty: int = 1
    delivered_qty: int = 1
    persons: int = 1
    delivery_address_no: int = 0
    organisation_id: UUID | None = None
    # internal | external
    collection_channel: str = "internal"
    acquisition_channel: str | None = None
    campaign: str | None = None
    # The member who recruited this one ("member recruits member"), when given on start.
    recruited_by_member_id: UUID | None = None
    # Rule 7: None when the tenant sends no welcome letter for this start.
    welcome_letter: WelcomeLetterV1 | None = None


class SubscriptionStoppedV1(EventData):
    """A subscription stopped (SPEC §2.2 rule 8): voluntarily, by arrears stop or bulk stop."""

    subscription_id: UUID
    member_id: UUID
    product_code: str | None = None
    # The first day without coverage (SPEC §6.3 item 4: billed_through + 1 by default).
    stop_date: date | None = None
    reason_code: str | None = None
    # The latest billed period was credited (credit memo) or the order deleted.
    credited: bool | None = None
    # Products stopped together with this one (the reason's "stop related" flag).
    related_subscription_ids: list[UUID] = Field(default_factory=list)
    # The stop reason's "change member status" option: the status the member should get.
    member_status_to_set: str | None = None
    subscription_no: int | None = None


class SubscriptionStopScheduledV1(EventData):
    """A stop dated in the future was recorded (SPEC §2.2 rule 8): the subscription covers
    days until the day before `stop_date`. `billing.subscription.stopped` follows on that day,
    unless a restart, another stop or a delete replaces it first."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    # The first day without coverage.
    stop_date: date
    reason_code: str
    credited: bool = False
    related_subscription_ids: list[UUID] = Field(default_factory=list)
    # The status the member will get on the stop date (in `stopped`, which members applies).
    member_status_to_set: str | None = None


class SubscriptionPriceCodeChangedV1(EventData):
    """SPEC §2.2 rule 9: the new price code prices every period starting on or after
    `effective_date` (`PRIS-`/`PRIS+`)."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    old_price_code: str
    new_price_code: str
    effective_date: date
    collection_channel: str = "internal"


class SubscriptionPayerChangedV1(EventData):
    """SPEC §2.2 rule 10: another payer pays from the day after the latest invoiced period
    (`DEB-`/`DEB+`)."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    old_payer_account_id: UUID
    new_payer_account_id: UUID
    effective_date: date


class SubscriptionDeliveryMovedV1(EventData):
    """SPEC §2.2 rule 11: deliveries go to another of the member's addresses from
    `from_date`; a temporary move returns by itself the day after `to_date`."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    old_address_no: int
    new_address_no: int
    from_date: date
    to_date: date | None = None


class SubscriptionRestartedV1(EventData):
    """SPEC §2.2 rule 12: a stopped subscription started again (a new START entry)."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str
    price_code: str
    from_date: date
    reason_code: str


class SubscriptionDeletedV1(EventData):
    """SPEC §2.2 rule 13: a subscription that was never charged and is not active was
    deleted; consumers forget it."""

    subscription_id: UUID
    subscription_no: int
    member_id: UUID
    product_code: str


SUBSCRIPTION_STARTED = event(
    "billing",
    "subscription",
    "started",
    1,
    SubscriptionStartedV1,
    "A subscription started for a member: product, price code, payer, dates and quantities.",
)
SUBSCRIPTION_STOPPED = event(
    "billing",
    "subscription",
    "stopped",
    1,
    SubscriptionStoppedV1,
    "A subscription stopped with a reason code; `member_status_to_set` names the status the "
    "member gets when the reason says so (members applies it).",
)
SUBSCRIPTION_STOP_SCHEDULED = event(
    "billing",
    "subscription",
    "stop_scheduled",
    1,
    SubscriptionStopScheduledV1,
    "A stop dated in the future was recorded; `billing.subscription.stopped` follows on the "
    "stop date.",
)
SUBSCRIPTION_PRICE_CODE_CHANGED = event(
    "billing",
    "subscription",
    "price_code_changed",
    1,
    SubscriptionPriceCodeChangedV1,
    "A subscription moves to another price code from a date after its billed periods.",
)
SUBSCRIPTION_PAYER_CHANGED = event(
    "billing",
    "subscription",
    "payer_changed",
    1,
    SubscriptionPayerChangedV1,
    "Another payer account pays a subscription from the day after its latest invoiced period.",
)
SUBSCRIPTION_DELIVERY_MOVED = event(
    "billing",
    "subscription",
    "delivery_moved",
    1,
    SubscriptionDeliveryMovedV1,
    "A subscription's deliveries move to another address, permanently or for a while.",
)
SUBSCRIPTION_RESTARTED = event(
    "billing",
    "subscription",
    "restarted",
    1,
    SubscriptionRestartedV1,
    "A stopped subscription was started again from a date.",
)
SUBSCRIPTION_DELETED = event(
    "billing",
    "subscription",
    "deleted",
    1,
    SubscriptionDeletedV1,
    "A subscription that was never charged and is not active was deleted.",
)

# ---------------------------------------------------------------------------------------------
# Billing runs (SPEC §2.2 rules 24-32)


class BillingRunStartedV1(EventData):
    billing_run_id: UUID
    posting_date: date
    bill_through_date: date
    dry_run: bool = False
    # The filters as given (products, price codes, organisations, members, to-date filter).
    filters: dict[str, object] = Field(default_factory=dict)
    subscriptions_selected: int = 0
    chunks_total: int = 0


class BillingRunProgressedV1(EventData):
    """One chunk of a run finished; the counts are the run's running totals."""

    billing_run_id: UUID
    chunk_no: int
    chunks_done: int
    chunks_total: int
    subscriptions_charged: int = 0
    subscriptions_failed: int = 0
    documents_issued: int = 0
    amount: int = 0


class BillingRunCompletedV1(EventData):
    billing_run_id: UUID
    # completed | failed | cancelled
    outcome: str
    dry_run: bool = False
    subscriptions_selected: int = 0
    subscriptions_charged: int = 0
    subscriptions_failed: int = 0
    documents_issued: int = 0
    credit_memos_issued: int = 0
    lines: int = 0
    members: int = 0
    amount: int = 0
    currency: str = "DKK"


BILLING_RUN_STARTED = event(
    "billing",
    "run",
    "started",
    1,
    BillingRunStartedV1,
    "A billing run was planned and its chunks queued for the billing workers.",
)
BILLING_RUN_PROGRESSED = event(
    "billing",
    "run",
    "progressed",
    1,
    BillingRunProgressedV1,
    "A chunk of a billing run finished; the counts are the run's totals so far.",
)
BILLING_RUN_COMPLETED = event(
    "billing",
    "run",
    "completed",
    1,
    BillingRunCompletedV1,
    "A billing run ended (completed, failed on stop-on-error, or cancelled) with its totals.",
)

# ---------------------------------------------------------------------------------------------
# Documents: orders, draft invoices, invoices, credit memos (SPEC §2.2 rules 27-38)


class DocumentLineV1(EventData):
    line_no: int
    # charge | discount | postage | gift | dues | adjustment
    kind: str = "charge"
    subscription_id: UUID | None = None
    subscription_no: int | None = None
    member_id: UUID | None = None
    product_code: str | None = None
    price_code: str | None = None
    # The price code's external description (what the member reads on the invoice).
    description: str = ""
    quantity: int = 1
    # Minor units; `amount` = quantity * unit_price, ex VAT. Credit memo lines are positive.
    unit_price: int = 0
    amount: int = 0
    vat_rate: Decimal = Decimal(0)
    vat_amount: int = 0
    posting_type: str | None = None
    revenue_account: str | None = None
    dimension_1: str | None = None
    dimension_2: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    # The branch's share of this line (SPEC §2.2 rule 34) and the branch it belongs to.
    branch_organisation_id: UUID | None = None
    branch_share: int = 0
    # Rule 33: the amount is posted to this deferral account, not `revenue_account`, and moves
    # to revenue as `billing.deferral.recognised` says. None: revenue at once.
    deferral_account: str | None = None


class DocumentIssuedV1(EventData):
    """An order, draft invoice or invoice was issued. Payments opens a receivable for an
    invoice (and for an order in order mode); a draft opens nothing until it is posted."""

    document_id: UUID
    # invoice | draft_invoice | order
    kind: str
    # The number in the kind's own sequence (invoice numbers are gapless per tenant).
    document_no: str
    payer_account_id: UUID
    payer_number: int | None = None
    # None when the tenant groups one document per payer across members.
    member_id: UUID | None = None
    organisation_id: UUID | None = None
    billing_run_id: UUID | None = None
    posting_date: date
    due_date: date
    currency: str
    # Minor units, VAT included; `vat_amount` is the VAT part of it.
    total_amount: int
    vat_amount: int = 0
    # OCR/KID/FIK-style reference with a check digit; payments match on it.
    payment_reference: str
    lines: list[DocumentLineV1] = Field(default_factory=list)
    # Set for a public customer invoiced electronically (GLN/EAN, SPEC §2.2 rule 35).
    e_invoice: EInvoiceV1 | None = None


class DocumentPostedV1(EventData):
    """A draft invoice was posted, or an order became an invoice (when paid): from now on it
    is an immutable invoice with its own gapless number."""

    document_id: UUID
    # draft_invoice | order: what it was before.
    posted_from: str
    invoice_no: str
    payer_account_id: UUID
    member_id: UUID | None = None
    organisation_id: UUID | None = None
    posting_date: date
    due_date: date
    currency: str
    total_amount: int
    vat_amount: int = 0
    payment_reference: str
    # Set for a public customer invoiced electronically (GLN/EAN, SPEC §2.2 rule 35).
    e_invoice: EInvoiceV1 | None = None


class DocumentCancelledV1(EventData):
    """An unposted order or draft was deleted or closed at zero (SPEC §2.2 rule 36): nothing
    is owed on it any more."""

    document_id: UUID
    kind: str
    document_no: str
    payer_account_id: UUID
    member_id: UUID | None = None
    # deleted | closed_at_zero | subscription_stopped
    reason: str


class CreditMemoIssuedV1(EventData):
    """A posted credit memo: the credit of an invoice's period(s). Amounts are positive and
    reduce what the payer owes."""

    credit_memo_id: UUID
    credit_memo_no: str
    # The invoice credited, when the memo credits one (latest-document credit, stop, mass
    # credit); None for dues credits without an invoice.
    credited_document_id: UUID | None = None
    credited_document_no: str | None = None
    payer_account_id: UUID
    member_id: UUID | None = None
    organisation_id: UUID | None = None
    posting_date: date
    currency: str
    total_amount: int
    vat_amount: int = 0
    # stop | latest_document | mass_credit | to_date_adjustment | dues
    reason: str
    lines: list[DocumentLineV1] = Field(default_factory=list)


class SettlementCalculatedV1(EventData):
    """What the federation owes one branch for a period: the sum of the branch shares of the
    lines of the posted documents (minus credit memos) dated in the period."""

    settlement_id: UUID
    organisation_id: UUID
    period_from: date
    period_to: date
    currency: str
    amount: int
    documents: int = 0
    lines: int = 0


DOCUMENT_ISSUED = event(
    "billing",
    "document",
    "issued",
    1,
    DocumentIssuedV1,
    "An invoice, draft invoice or order was issued with its full lines, due date and payment "
    "reference.",
)
DOCUMENT_POSTED = event(
    "billing",
    "document",
    "posted",
    1,
    DocumentPostedV1,
    "A draft invoice was posted or an order became an invoice; it now has its invoice number.",
)
DOCUMENT_CANCELLED = event(
    "billing",
    "document",
    "cancelled",
    1,
    DocumentCancelledV1,
    "An unposted order or draft invoice was deleted or closed at zero.",
)
CREDIT_MEMO_ISSUED = event(
    "billing",
    "credit_memo",
    "issued",
    1,
    CreditMemoIssuedV1,
    "A credit memo was posted against a payer (and usually an invoice), with its lines.",
)
SETTLEMENT_CALCULATED = event(
    "billing",
    "settlement",
    "calculated",
    1,
    SettlementCalculatedV1,
    "A branch settlement was calculated: the amount owed to one organisation for a period.",
)


# ---------------------------------------------------------------------------------------------
# Allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*)


class AllocationGrantRulesUpdatedV1(EventData):
    """A tenant's allocation-grant rules (*Rådighedsberegningsopsætning*), whole; the subject
    is the tenant. Blank (None) parameters are "not filled in" and fall through to the next
    rule; amounts are minor units of the tenant's currency."""

    org_type_1: str | None = None
    org_type_2: str | None = None
    min_members: int | None = None
    base_amount_large_type1: int | None = None
    amount_per_member: int | None = None
    base_amount_small_type1: int | None = None
    amount_type2: int | None = None
    amount_per_type1_org: int | None = None
    amount_per_km2: int | None = None
    member_statuses: list[str] = Field(default_factory=list)
    changed_fields: list[str] = Field(default_factory=list)


class AllocationGrantCalculatedV1(EventData):
    """An approved allocation grant: what the federation pays one organisation for the
    reference date; payments pays it out. The subject is the grant id."""

    grant_id: UUID
    batch_id: UUID
    organisation_id: UUID
    organisation_type: str
    reference_date: date
    currency: str
    amount: int
    # The members counted (the organisation's subtree, by the tenant's member statuses).
    members: int
    # large_type1 | small_type1 | type2 | per_type1_organisation | per_km2
    rule: str
    area_km2: Decimal | None = None


ALLOCATION_GRANT_RULES_UPDATED = event(
    "billing",
    "allocation_grant_rules",
    "updated",
    1,
    AllocationGrantRulesUpdatedV1,
    "A tenant's allocation-grant rules changed; the data is the whole rules and what changed.",
)
ALLOCATION_GRANT_CALCULATED = event(
    "billing",
    "allocation_grant",
    "calculated",
    1,
    AllocationGrantCalculatedV1,
    "An allocation grant was calculated and its batch approved: the amount to pay one "
    "organisation for a reference date.",
)


# ---------------------------------------------------------------------------------------------
# E-invoicing to public customers (GLN/EAN, SPEC §2.2 rules 35, 35a-35c)


class EInvoiceV1(EventData):
    """The e-invoice (OIOUBL/OIOXML) fields of a document: whoever sends it electronically
    needs nothing else from billing's setup. Billing never posts a document of an e-invoice
    payer that lacks one of them."""

    # The public customer's GLN/EAN location number (13 digits, GS1 check digit).
    gln: str | None = None
    # How the endpoint is addressed: `GLN` (OIOUBL `EndpointID schemeID`).
    endpoint_scheme: str = "GLN"
    # E-invoice country and currency codes (the tenant's setup maps its own to these).
    country_code: str | None = None
    currency_code: str | None = None
    # Unit of measure of the document's lines (setup "EAN sales unit code").
    unit_code: str | None = None
    payment_method: str | None = None
    # E.g. bank transfer (*Kontoverførsel*).
    payment_channel: str | None = None
    # The payer's reference (*Eksternt bilagsnr.*): its subscriptions' payer references.
    external_document_no: str | None = None


class PayerAccountEInvoiceV1(EventData):
    """A payer account's e-invoice setup changed: with a GLN (or an e-invoice payment method)
    its documents are e-invoices; with neither, paper again."""

    payer_account_id: UUID
    number: int
    gln: str | None = None
    payment_method: str | None = None


DocumentIssuedV1.model_rebuild()
DocumentPostedV1.model_rebuild()

PAYER_ACCOUNT_E_INVOICE_CHANGED = event(
    "billing",
    "payer_account",
    "e_invoice_changed",
    1,
    PayerAccountEInvoiceV1,
    "A payer account's GLN/EAN number or e-invoice payment method was set or removed.",
)


# ---------------------------------------------------------------------------------------------
# Revenue deferral, *Periodisering* (SPEC §2.2 rule 33)


class DeferralEntryV1(EventData):
    """One account pair's movement in a fiscal period: debit `deferral_account`, credit
    `revenue_account` by `amount` (negative: the other way, credit memos outweighing)."""

    deferral_account: str
    revenue_account: str | None = None
    dimension_1: str | None = None
    dimension_2: str | None = None
    amount: int
    # Document lines whose shares make up the amount.
    lines: int = 0


class DeferralRecognisedV1(EventData):
    """A recognition moved deferred revenue of posted invoices and credit memos to revenue for
    one fiscal period (a calendar month): the ledger posts `entries` on `posting_date` through
    the deferral journal. One event per fiscal period of a recognition that moved anything."""

    recognition_id: UUID
    # YYYY-MM
    fiscal_period: str
    fiscal_year_start: date
    # 1 for the fiscal year's first month.
    period_no: int
    period_from: date
    period_to: date
    # The period's last day.
    posting_date: date
    # The recognition covered every fiscal period up to this one (YYYY-MM).
    through_period: str
    currency: str
    journal_type: str | None = None
    journal_name: str | None = None
    amount: int
    entries: list[DeferralEntryV1] = Field(default_factory=list)


DEFERRAL_RECOGNISED = event(
    "billing",
    "deferral",
    "recognised",
    1,
    DeferralRecognisedV1,
    "Deferred revenue was recognised for a fiscal period: per deferral and revenue account "
    "pair, the amount moved from the deferral account to revenue.",
)


# ---------------------------------------------------------------------------------------------
# Recruitment gifts, *Hvervegave* (SPEC §2.2 rule 39, flow item "recruitment")


class RecruitmentGiftDueV1(EventData):
    """A recruited member's first charge was paid in full: the recruitment gift is due. Once
    per recruited subscription. Communications writes to the recipient; a fulfilment partner
    ships `gift_item_no` to the recipient's address (as billing's member copy held it)."""

    gift_id: UUID
    subscription_id: UUID
    subscription_no: int
    product_code: str
    acquisition_channel: str | None = None
    # The recruited member (the subscription's member) and the member who recruited them.
    recruit_member_id: UUID
    recruiter_member_id: UUID
    gift_item_no: str
    # The channel's *Udfyld MTM Vare Medlemsnr.*: the gift goes to the recruit, not the
    # recruiter. `recipient` is `recruit` or `recruiter`.
    gift_to_new_member: bool = False
    recipient: str = "recruiter"
    recipient_member_id: UUID
    recipient_name: str | None = None
    recipient_address: str | None = None
    recipient_address_2: str | None = None
    recipient_postcode: str | None = None
    recipient_city: str | None = None
    recipient_country_code: str | None = None
    # The paid first charge: its document and the payment's value date.
    document_id: UUID
    document_no: str
    payment_id: UUID
    paid_on: date


class RecruitmentGiftFulfilledV1(EventData):
    """A zero-value invoice was issued for a recruitment gift: the item left stock (there is no
    inventory service; this event and the invoice line are the record). Once per gift."""

    gift_id: UUID
    subscription_id: UUID
    gift_item_no: str
    quantity: int = 1
    recipient_member_id: UUID
    invoice_document_id: UUID
    invoice_no: str
    posting_date: date


RECRUITMENT_GIFT_DUE = event(
    "billing",
    "recruitment_gift",
    "due",
    1,
    RecruitmentGiftDueV1,
    "A recruited member's first charge was paid in full: the recruitment gift (item, who "
    "receives it, the paid date) is due.",
)
RECRUITMENT_GIFT_FULFILLED = event(
    "billing",
    "recruitment_gift",
    "fulfilled",
    1,
    RecruitmentGiftFulfilledV1,
    "A recruitment gift was invoiced at zero: its item left stock.",
)
