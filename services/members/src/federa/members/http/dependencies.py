"""What every members route needs: the caller with a permission, and the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from federa.shared.auth import Principal, requires

Reader = Annotated[Principal, Depends(requires("members:read"))]
Writer = Annotated[Principal, Depends(requires("members:write"))]
# Setting up the tree and the reference tables is the superuser's (SPEC §2.6 MEMBER SUPER).
Organiser = Annotated[Principal, Depends(requires("members:setup:write"))]
