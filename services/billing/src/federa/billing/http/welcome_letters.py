"""/v1/welcome-letters: the tenant's welcome-letter setup (SPEC §2.2 rule 7)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import Field, model_validator

from federa.billing.http.catalogue_schemas import Body
from federa.billing.http.dependencies import CatalogueWriter, Reader
from federa.billing.http.errors import PROBLEMS, BillingRoute
from federa.billing.tenancy import ensure_tenant_in_tx
from federa.billing.welcome_letters import save_welcome_in_tx, welcome_row
from federa.shared.service import RuntimeDep

router = APIRouter(
    prefix="/v1", tags=["subscriptions"], route_class=BillingRoute, responses=PROBLEMS
)


class PriceCodeWelcomeBody(Body):
    product: str = Field(min_length=1, max_length=10)
    price_code: str = Field(min_length=1)
    template_code: str | None = Field(default=None, min_length=1)
    text: str | None = Field(default=None, max_length=4000)


class WelcomeLetters(Body):
    """How a start's welcome letter is chosen: `none`; `template` (the start's
    `welcome_template`, else the price code's `template_code`); `internal_text` (the price
    code's text, the acquisition channel's text, and `recruit_text` when a member recruited the
    new one, one paragraph each)."""

    method: Literal["none", "template", "internal_text"] = "none"
    recruit_text: str | None = Field(default=None, max_length=4000)
    price_codes: list[PriceCodeWelcomeBody] = Field(default_factory=list, max_length=1000)
    channels: dict[str, str] = Field(default_factory=dict, max_length=1000)

    @model_validator(mode="after")
    def _one_entry_per_price_code(self) -> WelcomeLetters:
        keys = [(p.product, p.price_code) for p in self.price_codes]
        if len(keys) != len(set(keys)):
            raise ValueError("each product and price code may appear once in price_codes")
        return self


@router.get("/welcome-letters", response_model=WelcomeLetters)
async def read(principal: Reader, runtime: RuntimeDep) -> WelcomeLetters:
    async with runtime.db.sessions() as session:
        return WelcomeLetters.model_validate(await welcome_row(session, principal.tenant))


@router.put("/welcome-letters", response_model=WelcomeLetters)
async def save(
    body: WelcomeLetters, principal: CatalogueWriter, runtime: RuntimeDep
) -> WelcomeLetters:
    async with runtime.db.transaction() as session:
        await ensure_tenant_in_tx(session, principal.tenant)
        await save_welcome_in_tx(
            session, principal.tenant, body.model_dump(mode="json"), actor=principal.subject
        )
    return body
