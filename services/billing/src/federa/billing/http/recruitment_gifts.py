"""/v1 recruitment gifts (SPEC §2.2 rule 39, *Hvervegave*; MM 2013 §9.8 *Udlæs
Hvervegaveliste*): the gift item per acquisition channel, a subscription's recruiter, the
gifts due, their export as a file and their zero-value invoices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field, model_validator

from federa.billing.domain.recruitment_gifts import GiftChannel, csv_text, export_filename
from federa.billing.http.billing_runs import RunOperator
from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader, SubscriptionWriter
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.recruitment.invoicing import InvoiceRequest, invoice_gifts
from federa.billing.recruitment.queries import GiftFilter, export_rows, list_gifts, load_gift
from federa.billing.recruitment.setup import (
    gift_channels,
    recruitment_of,
    save_gift_channel_in_tx,
    set_recruitment_in_tx,
)
from federa.billing.scope import scope_of
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.shared.http.problems import Problem
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1", tags=["recruitment gifts"], route_class=BillingRoute, responses=PROBLEMS
)

ItemNo = Annotated[str, Field(min_length=1, max_length=20)]


# ---------------------------------------------------------------------------------------------
# Setup: the gift per acquisition channel


class GiftChannelBody(Body):
    """*Oprettelsesårsagskode*: `gift_item_no` (*Varenr.*, none: no gift) and
    `gift_to_new_member` (*Udfyld MTM Vare Medlemsnr.*: the recruited member receives it)."""

    gift_item_no: ItemNo | None = None
    gift_to_new_member: bool = False


class GiftChannelRead(BaseModel):
    code: str
    gift_item_no: str | None
    gift_to_new_member: bool
    updated_at: datetime
    updated_by: str


@router.get("/recruitment-gift-channels", response_model=list[GiftChannelRead])
async def list_channels(principal: Reader, runtime: RuntimeDep) -> list[GiftChannelRead]:
    """The acquisition channels that have a gift setup, by code."""
    async with runtime.db.sessions() as session:
        rows = await gift_channels(session, principal.tenant)
    return [GiftChannelRead.model_validate(r) for r in rows]


@router.put("/recruitment-gift-channels/{code}", response_model=GiftChannelRead)
async def put_channel(
    code: Annotated[str, Path(min_length=1, max_length=20)],
    body: GiftChannelBody,
    principal: CatalogueWriter,
    runtime: RuntimeDep,
) -> GiftChannelRead:
    """Set an acquisition channel's gift item and recipient. It applies to gifts falling due
    from now on; a gift due already keeps its item and recipient."""
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        row = await save_gift_channel_in_tx(
            session,
            principal.tenant,
            GiftChannel(code, body.gift_item_no, body.gift_to_new_member),
            actor=principal.subject,
        )
    return GiftChannelRead.model_validate(row)


# ---------------------------------------------------------------------------------------------
# A subscription's recruiter


class RecruitmentBody(Body):
    recruited_by_member_id: UUID
    # Overrides the acquisition channel's gift item for this subscription.
    recruitment_gift_item: ItemNo | None = None


class RecruitmentRead(BaseModel):
    subscription_id: UUID
    recruited_by_member_id: UUID
    recruitment_gift_item: str | None
    updated_at: datetime
    updated_by: str


@router.get("/subscriptions/{subscription_id}/recruitment", response_model=RecruitmentRead)
async def read_recruitment(
    subscription_id: UUID, principal: Reader, runtime: RuntimeDep
) -> RecruitmentRead:
    """Who recruited the subscription's member, and its own gift item; 404 when no one did."""
    async with runtime.db.sessions() as session:
        row = await recruitment_of(session, await scope_of(session, principal), subscription_id)
    if row is None:
        raise Problem(
            404,
            "recruitment-not-found",
            "Not found",
            f"Subscription {subscription_id} names no recruiter.",
        )
    return RecruitmentRead.model_validate(row)


@router.put("/subscriptions/{subscription_id}/recruitment", response_model=RecruitmentRead)
async def put_recruitment(
    subscription_id: UUID,
    body: RecruitmentBody,
    principal: SubscriptionWriter,
    runtime: RuntimeDep,
) -> RecruitmentRead:
    """Set or correct `recruited_by_member` and `recruitment_gift_item` (a start's
    `recruited_by_member_id` sets the recruiter too). Once the gift is due: 409
    `recruitment-gift-due`; the member itself as recruiter: 422."""
    async with runtime.db.transaction() as session:
        row = await set_recruitment_in_tx(
            session,
            await scope_of(session, principal),
            subscription_id,
            body.recruited_by_member_id,
            body.recruitment_gift_item,
            actor=principal.subject,
        )
    return RecruitmentRead.model_validate(row)


# ---------------------------------------------------------------------------------------------
# Gifts


class GiftRead(BaseModel):
    id: UUID
    subscription_id: UUID
    subscription_no: int
    product: str
    acquisition_channel: str | None
    recruit_member_id: UUID
    recruit_name: str | None
    recruiter_member_id: UUID
    recruiter_name: str | None
    gift_item_no: str
    gift_to_new_member: bool
    recipient: str
    recipient_member_id: UUID
    document_id: UUID
    document_no: str
    paid_on: date
    due_at: datetime
    fulfilled: bool
    invoice_document_id: UUID | None
    invoice_no: str | None
    fulfilled_at: datetime | None


class GiftPage(BaseModel):
    items: list[GiftRead]
    total: int
    limit: int
    offset: int


def _read(row: dict[str, Any]) -> GiftRead:
    return GiftRead.model_validate(
        {
            **row,
            "gift_to_new_member": row["recipient"] == "recruit",
            "fulfilled": row["invoice_document_id"] is not None,
        }
    )


@router.get("/recruitment-gifts", response_model=GiftPage)
async def list_all(
    principal: Reader,
    runtime: RuntimeDep,
    paid_from: date | None = None,
    paid_to: date | None = None,
    product: str | None = None,
    acquisition_channel: str | None = None,
    gift_item_no: str | None = None,
    fulfilled: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GiftPage:
    """Gifts of recruits the caller sees, by paid date; `paid_from`/`paid_to` are the days the
    first charge was paid (both included); `paid_to` before `paid_from` is 422."""
    wanted = GiftFilter(
        paid_from=paid_from,
        paid_to=paid_to,
        product=product,
        acquisition_channel=acquisition_channel,
        gift_item_no=gift_item_no,
        fulfilled=fulfilled,
    )
    async with runtime.db.sessions() as session:
        rows, total = await list_gifts(
            session, await scope_of(session, principal), wanted, limit=limit, offset=offset
        )
    return GiftPage(items=[_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/recruitment-gifts/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The gift list as a file"}},
)
async def export(
    principal: Reader,
    runtime: RuntimeDep,
    paid_from: date,
    paid_to: date,
    product: str | None = None,
    acquisition_channel: str | None = None,
    gift_item_no: str | None = None,
    fulfilled: bool | None = None,
) -> Response:
    """*Udlæs Hvervegaveliste*: the gifts whose first charge was paid in the window, as a CSV
    download: recruiter's name and address, recruit's name and address, who receives the
    item, the item, the paid date."""
    wanted = GiftFilter(
        paid_from=paid_from,
        paid_to=paid_to,
        product=product,
        acquisition_channel=acquisition_channel,
        gift_item_no=gift_item_no,
        fulfilled=fulfilled,
    )
    async with runtime.db.sessions() as session:
        rows = await export_rows(session, await scope_of(session, principal), wanted)
    return Response(
        content=csv_text(rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(paid_from, paid_to)}"'
        },
    )


class GiftInvoiceBody(Body):
    """A paid window (both days) or a list of gifts, not both."""

    paid_from: date | None = None
    paid_to: date | None = None
    gift_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    posting_date: date | None = Field(default=None, description="Default: today")

    @model_validator(mode="after")
    def _one_selection(self) -> GiftInvoiceBody:
        window = self.paid_from is not None and self.paid_to is not None
        partial = (self.paid_from is None) != (self.paid_to is None)
        if partial or window == bool(self.gift_ids):
            raise ValueError("give either paid_from and paid_to, or gift_ids")
        return self


class SkippedGift(BaseModel):
    gift_id: UUID
    reason: str


class GiftInvoiceResult(BaseModel):
    invoiced: int
    gift_ids: list[UUID]
    document_ids: list[UUID]
    skipped: list[SkippedGift]


@router.post("/recruitment-gifts/invoice", response_model=GiftInvoiceResult)
async def invoice(
    body: GiftInvoiceBody,
    principal: RunOperator,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> GiftInvoiceResult:
    """*Dan Nul-faktura på Hvervegaver*: one posted invoice of 0 per gift not invoiced yet (its
    one line the gift item), to the recipient's payer account; the gift becomes fulfilled
    and `billing.recruitment_gift.fulfilled` says which item left stock. A gift is invoiced
    once: listed gifts invoiced before are `skipped` (`already-invoiced`), as are recipients
    without a payer account (`no-payer-account`); a listed gift the caller cannot see is 404
    and nothing is issued. `Idempotency-Key` returns the first result (another request with
    the same key 422)."""
    request = InvoiceRequest(
        paid_from=body.paid_from,
        paid_to=body.paid_to,
        gift_ids=tuple(body.gift_ids),
        posting_date=body.posting_date,
    )
    async with runtime.db.sessions() as session:
        scope = await scope_of(session, principal)
    result = await invoice_gifts(
        runtime.db, scope, request, actor=principal.subject, idempotency_key=idempotency_key
    )
    return GiftInvoiceResult.model_validate(result)


@router.get("/recruitment-gifts/{gift_id}", response_model=GiftRead)
async def read(gift_id: UUID, principal: Reader, runtime: RuntimeDep) -> GiftRead:
    async with runtime.db.sessions() as session:
        row = await load_gift(session, await scope_of(session, principal), gift_id)
    return _read(row)
