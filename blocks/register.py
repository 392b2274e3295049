"""`python -m blocks.register`: register AgentFlow's block types with the Prefect API (PREFECT_API_URL)
and save the `agentflow-vault` connection from the Vault settings. `agentflow up` runs it after the
Prefect server is up; Compose and other deployments run it once per release.
"""

from __future__ import annotations

import asyncio

from prefect.client.orchestration import get_client

from agentflow.config import Settings
from blocks.vault import DEFAULT_BLOCK_NAME, VaultConnection


async def register(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    async with get_client() as client:
        await VaultConnection.aregister_type_and_schema(client=client)
        if settings.vault_addr:
            await VaultConnection.from_settings(settings).asave(
                DEFAULT_BLOCK_NAME, overwrite=True, client=client
            )


def main() -> None:
    asyncio.run(register())


if __name__ == "__main__":
    main()
