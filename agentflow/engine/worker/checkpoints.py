"""Unmasked outputs of steps that contained a secret value, kept in Vault for a resumed or retried run.

A resumed (approval) or retried run reuses every completed step instead of running it again. Usually the
step row in Postgres holds everything that takes: its output, handles, tokens and cost. When an output
contained a secret value, the row holds the masked copy (`***`). The real output is then written here,
under `<prefix>/orgs/<org>/checkpoint/<execution>.<step hash>`. It is never written to Postgres or to disk.
It is deleted when the execution completes, and by the retention sweep (retention.py) once an execution
that did not complete has been over for `checkpoint_retention_days`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

import orjson

from agentflow.engine.worker.env import secret_store
from agentflow.engine.worker.recording import retried_vault
from agentflow.engine.worker.store import EngineStore
from agentflow.nodes.errors import PermanentStepError
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.vault import VaultUnavailable

logger = logging.getLogger("agentflow.engine.checkpoints")


def checkpoint_ref(org_id: uuid.UUID, execution_id: uuid.UUID, step_key: str) -> SecretRef:
    # Step keys carry loop indexes and brackets: hashed into a name Vault paths accept.
    digest = hashlib.sha256(step_key.encode()).hexdigest()[:40]
    return SecretRef(org_id=org_id, kind=SecretKind.checkpoint, name=f"{execution_id}.{digest}")


async def save(org_id: uuid.UUID, execution_id: uuid.UUID, step_key: str, output: Any) -> None:
    """Write the checkpoint, retried while Vault is briefly unavailable (sealed, restarting); VaultUnavailable
    once `outage_retry_seconds` have passed."""
    from agentflow.config import get_settings

    ref = checkpoint_ref(org_id, execution_id, step_key)
    data = {"output": orjson.dumps(output, default=str).decode()}

    async def write() -> None:
        await (await secret_store()).write(ref, data)

    await retried_vault(
        write, window=get_settings().outage_retry_seconds, what=f"saving the checkpoint of {step_key}"
    )


async def keep(
    store: EngineStore, org_id: uuid.UUID, execution_id: uuid.UUID, node_id: str, step_key: str, output: Any
) -> bool:
    """Checkpoint a completed step's output; False (and a warning in the execution's logs) if Vault stayed
    unavailable. The step did act, so it stays completed and the walk goes on with the output it holds in
    memory; only a resume or retry needs the checkpoint, and it then fails clearly at `load` instead of
    running the step again."""
    try:
        await save(org_id, execution_id, step_key, output)
    except VaultUnavailable as exc:
        logger.warning("no checkpoint for %s of %s: %s", step_key, execution_id, exc.message)
        await store.log(
            org_id,
            execution_id,
            "warning",
            f"{step_key}: its output could not be checkpointed in Vault; a resume or retry of this "
            "execution will fail at this step",
            node_id=node_id,
            step_key=step_key,
        )
        return False
    return True


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
