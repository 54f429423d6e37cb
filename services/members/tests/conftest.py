from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from federa.members.main import DEFINITION
from federa.shared.auth import Role, mint_dev_token
from federa.shared.testing.harness import RunningService, running_service
from federa.shared.testing.plugin import SettingsFactory


@pytest.fixture(scope="session")
async def members(settings_for: SettingsFactory) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, settings_for("members")) as service:
        yield service


@dataclass
class Tree:
    """federation → north, south (regions) → branches a, b (north) and c (south)."""

    members: RunningService
    tenant: str
    ids: dict[str, uuid.UUID]

    def officer(self, *orgs: str, role: Role = Role.MEMBER_CARD) -> dict[str, str]:
        """Headers of a caller acting for the named organisations only."""
        token = mint_dev_token(
            self.members.settings,
            roles=[role],
            tenant=self.tenant,
            organisations=[str(self.ids[o]) for o in orgs],
        )
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.members.auth(tenant=self.tenant)

    async def register(self, name: str, org: str | None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, **fields}
        if org is not None:
            body["organisation_id"] = str(self.ids[org])
        response = await self.members.client.post("/v1/members", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


async def create_organisation(
    members: RunningService, tenant: str, name: str, kind: str, parent: uuid.UUID | None
) -> uuid.UUID:
    body: dict[str, Any] = {"name": name, "organisation_type": kind}
    if parent is not None:
        body["parent_id"] = str(parent)
    response = await members.client.post(
        "/v1/organisations", json=body, headers=members.auth(tenant=tenant)
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


@pytest.fixture
async def tree(members: RunningService, tenant: str) -> Tree:
    ids: dict[str, uuid.UUID] = {}
    ids["federation"] = await create_organisation(members, tenant, "Federation", "federation", None)
    for region in ("north", "south"):
        ids[region] = await create_organisation(
            members, tenant, region.title(), "region", ids["federation"]
        )
    for branch, region in (("a", "north"), ("b", "north"), ("c", "south")):
        ids[branch] = await create_organisation(
            members, tenant, f"Branch {branch.upper()}", "branch", ids[region]
        )
    return Tree(members, tenant, ids)
