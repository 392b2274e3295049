"""Unmasked outputs of steps that contained a secret value, kept in Vault for a resumed or retried run.

A resumed (approval) or retried run reuses every completed step instead of running it again. Usually the
step row in Postgres holds everything that takes: its output, handles, tokens and cost. When an output
contained a secret value, the row holds the masked copy (`***`). The real output is then written here,
under `<prefix>/orgs/<org>/checkpoint/<execution>.<step hash>`. It is never written to Postgres or to disk,
and it is deleted when the execution completes.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from agentflow.engine.worker.env import secret_store
from agentflow.nodes.errors import PermanentStepError
from agentflow.secrets.paths import SecretKind, SecretRef


def checkpoint_ref(org_id: uuid.UUID, execution_id: uuid.UUID, step_key: str) -> SecretRef:
    # Step keys carry loop indexes and brackets: hashed into a name Vault paths accept.
    digest = hashlib.sha256(step_key.encode()).hexdigest()[:40]
    return SecretRef(org_id=org_id, kind=SecretKind.checkpoint, name=f"{execution_id}.{digest}")


async def save(org_id: uuid.UUID, execution_id: uuid.UUID, step_key: str, output: Any) -> None:
    ref = checkpoint_ref(org_id, execution_id, step_key)
    await (await secret_store()).write(ref, {"output": orjson.dumps(output, default=str).decode()})


async def load(org_id: uuid.UUID, execution_id: uuid.UUID, step_key: str) -> Any:
    value = await (await secret_store()).read_value(checkpoint_ref(org_id, execution_id, step_key), "output")
    if value is None:
        raise PermanentStepError(
            f"The output of {step_key} held a secret and its checkpoint is gone from Vault: "
            "start a new execution"
        )
    return orjson.loads(value)


async def discard(org_id: uuid.UUID, execution_id: uuid.UUID, step_keys: list[str]) -> None:
    store = await secret_store()
    for step_key in step_keys:
        await store.delete(checkpoint_ref(org_id, execution_id, step_key))
