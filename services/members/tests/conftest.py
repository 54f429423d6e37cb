from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from federa.members.main import DEFINITION
from federa.shared.testing.harness import RunningService, running_service
from federa.shared.testing.plugin import SettingsFactory


@pytest.fixture(scope="session")
async def members(settings_for: SettingsFactory) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, settings_for("members")) as service:
        yield service
