"""The permissions payments' routes ask for.

Reads need `payments:read`, changes `payments:write`: both come with `payments:*`, which the
bookkeeper role (SPEC §2.6 *MM Bogholder*) and the superuser's `*` grant. Scope by organisation
is `scope.py`'s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from federa.shared.auth import Principal, requires

Reader = Annotated[Principal, Depends(requires("payments:read"))]
Writer = Annotated[Principal, Depends(requires("payments:write"))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]
