"""`{{env.NAME}}` at run time: the org's environment secrets, read from Vault inside the worker."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from prefect.blocks.core import Block
from sqlalchemy import text

from agentflow.engine.worker.store import engine_store
from agentflow.kit.fastread import compile_query
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import VAULT_BLOCK, SecretStore

logger = logging.getLogger("agentflow.engine.worker.env")

_NAMES = compile_query(
    text(
        "SELECT name FROM org_secrets WHERE org_id = :org_id AND kind = 'env' AND name = ANY(:names) "
        "ORDER BY name"
    )
)
_store: SecretStore | None = None


async def secret_store() -> SecretStore:
    """The worker's Vault client, built once: from its own VAULT_* settings, or — a worker given only its
    AppRole credentials, as on another machine of the work pool — from the VaultConnection block in
    Prefect, which says where Vault is and which variables carry the credentials."""
    global _store
    if _store is None:
        from agentflow.config import get_settings

        settings = get_settings()
        if settings.vault_addr:
            _store = SecretStore.from_settings(settings)
        else:
            # The block type is registered by importing blocks.vault, which flows/run_agent.py does.
            block: Any = await Block.aload(VAULT_BLOCK)
            _store = block.get_store(cache_seconds=settings.vault_cache_seconds)
    return _store


async def resolve_org_env(org_id: uuid.UUID, wanted: frozenset[str]) -> dict[str, str]:
    """The org's env secrets among `wanted` (the names a definition uses) as NAME → value; nothing is read
    when it names none, so a run without secrets never needs Vault."""
    if not wanted:
        return {}
    rows = await (await engine_store()).db.fetch(_NAMES, org_id=org_id, names=sorted(wanted))
    names = [row["name"] for row in rows]
    if not names:
        return {}
    store = await secret_store()
    values: dict[str, str] = {}
    for name in names:
        value = await store.read_value(SecretRef(org_id=org_id, kind=SecretKind.env, name=name))
        if value is None:
            logger.warning("env secret %s of org %s has no value in Vault", name, org_id)
            continue
        values[name] = value
    return values
