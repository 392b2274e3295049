"""What every integration test shares: the egress-guarded client the runner would use, with loopback
allowlisted as an operator would allowlist a self-hosted instance."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agentflow.egress import guarded_client
from tests.fakes.cases import LOOPBACK_EGRESS


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with guarded_client(LOOPBACK_EGRESS, timeout=10) as client:
        yield client
