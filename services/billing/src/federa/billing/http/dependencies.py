"""The permissions billing's routes ask for.

Reads need `members:read`, which every standard role holds (SPEC §2.6 gives no billing read
permission, and the shared roles table is not billing's to change): anyone who may look up a
member may see the catalogue and, within their organisations, that member's subscriptions.
Subscription changes need `billing:subscriptions:write` (MEMBER MEDLEMSKORT and the superuser);
catalogue changes need `billing:catalogue:write`, which only the superuser's `*` grants (MEMBER
SUPER: "setup of products").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from federa.shared.auth import Principal, requires

Reader = Annotated[Principal, Depends(requires("members:read"))]
SubscriptionWriter = Annotated[Principal, Depends(requires("billing:subscriptions:write"))]
CatalogueWriter = Annotated[Principal, Depends(requires("billing:catalogue:write"))]
