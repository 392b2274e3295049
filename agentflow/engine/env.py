"""`{{env.NAME}}` at run time: the org's environment secrets, read from Vault inside the worker."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text

from agentflow.engine.store import engine_store
from agentflow.kit.fastread import compile_query
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

logger = logging.getLogger("agentflow.engine.env")

_NAMES = compile_query(
    text("SELECT name FROM org_secrets WHERE org_id = :org_id AND kind = 'env' ORDER BY name")
)
_store: SecretStore | None = None


def secret_store() -> SecretStore:
    """The worker's Vault client (its own scoped credentials from the environment), built once."""
    global _store
    if _store is None:
        from agentflow.config import get_settings

        _store = SecretStore.from_settings(get_settings())
    return _store


async def resolve_org_env(org_id: uuid.UUID) -> dict[str, str]:
    """Every env secret of the org as NAME → value (none when the org has none, even without Vault)."""
    names = [row["name"] for row in await (await engine_store()).db.fetch(_NAMES, org_id=org_id)]
    if not names:
        return {}
    store = secret_store()
    values: dict[str, str] = {}
    for name in names:
        value = await store.read_value(SecretRef(org_id=org_id, kind=SecretKind.env, name=name))
        if value is None:
            logger.warning("env secret %s of org %s has no value in Vault", name, org_id)
            continue
        values[name] = value
    return values
