"""Helpers for tests that look at Vault directly (with the scoped AppRole credentials or the root token)."""

from __future__ import annotations

import uuid
from typing import Literal

import hvac
import hvac.exceptions

from tests.conftest import vault_info


def approle_client(role: Literal["api", "worker"], addr: str | None = None) -> hvac.Client:
    """An hvac client logged in exactly like the API or the worker is."""
    vault = vault_info()
    client = hvac.Client(url=addr or vault["addr"], token="")
    client.auth.approle.login(role_id=vault[role]["role_id"], secret_id=vault[role]["secret_id"])
    return client


def root_client() -> hvac.Client:
    vault = vault_info()
    return hvac.Client(url=vault["addr"], token=vault["root_token"])


def env_path(org_id: uuid.UUID, name: str) -> str:
    return f"agentflow/orgs/{org_id}/env/{name}"


def read_env_value(org_id: uuid.UUID, name: str) -> str | None:
    """What Vault holds for an org's env secret, read with the worker's credentials (None if nothing)."""
    client = approle_client("worker")
    try:
        answer = client.secrets.kv.v2.read_secret_version(
            path=env_path(org_id, name), mount_point="secret", raise_on_deleted_version=True
        )
    except hvac.exceptions.InvalidPath:
        return None
    return str(answer["data"]["data"]["value"])
