"""`VaultConnection`: how any worker reaches AgentFlow's secret store, without holding a credential.

The block document keeps the address, namespace, KV layout and auth method, plus the *names* of the
environment variables that carry the credentials on the worker (`VAULT_ROLE_ID`/`VAULT_SECRET_ID`, or
`VAULT_TOKEN`). The credentials themselves never reach Prefect's database.
"""

from __future__ import annotations

import os
from typing import Literal

import hvac
from prefect.blocks.core import Block
from pydantic import Field

from agentflow.config import Settings
from agentflow.errors import ServiceUnavailable
from agentflow.secrets.store import VAULT_BLOCK, SecretStore
from agentflow.secrets.vault import VaultConfig, VaultSession

# `agentflow up` saves the stack's connection under this name; a worker without VAULT_ADDR loads it
# (agentflow/engine/worker/env.py).
DEFAULT_BLOCK_NAME = VAULT_BLOCK.split("/")[1]


class VaultConnection(Block):
    """AgentFlow's Vault / OpenBao: address and layout, and where the worker finds its credentials."""

    _block_type_name = "AgentFlow Vault Connection"
    _block_type_slug = "agentflow-vault-connection"  # never changes once published
    _description = (
        "Where AgentFlow's credentials live (Vault or OpenBao, KV v2). Holds the names of the environment "
        "variables carrying the credentials on each worker, never the credentials."
    )

    address: str = Field(description="Vault address, e.g. http://127.0.0.1:8200.")
    namespace: str | None = Field(default=None, description="Vault Enterprise / OpenBao namespace.")
    mount: str = Field(default="secret", description="Mount point of the KV v2 engine.")
    prefix: str = Field(default="agentflow", description="Every AgentFlow path lives under it.")
    auth_method: Literal["approle", "token"] = Field(default="approle")
    approle_mount: str = Field(default="approle", description="Mount point of the AppRole auth method.")
    role_id_env: str = Field(default="VAULT_ROLE_ID", description="Variable holding the AppRole role id.")
    secret_id_env: str = Field(
        default="VAULT_SECRET_ID", description="Variable holding the AppRole secret id."
    )
    token_env: str = Field(default="VAULT_TOKEN", description="Variable holding a token (token auth).")
    timeout_seconds: float = Field(default=5.0, description="Per-request timeout.")

    @classmethod
    def from_settings(cls, settings: Settings) -> VaultConnection:
        """The connection described by AgentFlow's settings (credentials by the standard variable names)."""
        if not settings.vault_addr:
            raise ValueError("VAULT_ADDR is not set")
        return cls(
            address=settings.vault_addr,
            namespace=settings.vault_namespace,
            mount=settings.vault_mount,
            prefix=settings.vault_prefix,
            auth_method="token" if settings.vault_token and not settings.vault_role_id else "approle",
            approle_mount=settings.vault_approle_mount,
            timeout_seconds=settings.vault_timeout_seconds,
        )

    def vault_config(self) -> VaultConfig:
        """Resolve the credentials from this process's environment."""

        def required(name: str) -> str:
            value = os.environ.get(name)
            if not value:
                raise ServiceUnavailable(f"{name} is not set on this worker; the Vault connection needs it")
            return value

        if self.auth_method == "approle":
            role_id, secret_id, token = required(self.role_id_env), required(self.secret_id_env), None
        else:
            role_id, secret_id, token = None, None, required(self.token_env)
        return VaultConfig(
            addr=self.address,
            token=token,
            role_id=role_id,
            secret_id=secret_id,
            namespace=self.namespace,
            mount=self.mount,
            prefix=self.prefix,
            approle_mount=self.approle_mount,
            timeout=self.timeout_seconds,
        )

    def get_client(self) -> hvac.Client:
        """An hvac client, logged in with the worker's credentials."""
        return VaultSession(self.vault_config()).authenticated_client()

    def get_store(self, *, cache_seconds: float = 5.0) -> SecretStore:
        """AgentFlow's SecretStore on this connection (what flows resolve secrets through)."""
        return SecretStore(self.vault_config(), cache_seconds=cache_seconds)
