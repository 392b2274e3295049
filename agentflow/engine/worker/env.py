"""`{{env.NAME}}` at run time: the org's environment secrets, read from Vault inside the worker."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text

from agentflow.engine.worker.store import engine_store
from agentflow.kit.fastread import compile_query
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

logger = logging.getLogger("agentflow.engine.worker.env")

_NAMES = compile_query(
    text(
        "SELECT name FROM org_secrets WHERE org_id = :org_id AND kind = 'env' AND name = ANY(:names) "
        "ORDER BY name"
    )
)
_store: SecretStore | None = None


def secret_store() -> SecretStore:
    """The worker's Vault client (its own scoped credentials from the environment), built once."""
    global _store
    if _store is None:
        from agentflow.config import get_settings

        _store = SecretStore.from_settings(get_settings())
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
    store = secret_store()
    values: dict[str, str] = {}
    for name in names:
        value = await store.read_value(SecretRef(org_id=org_id, kind=SecretKind.env, name=name))
        if value is None:
            logger.warning("env secret %s of org %s has no value in Vault", name, org_id)
            continue
        values[name] = value
    return values
