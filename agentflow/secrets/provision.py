"""Prepare a Vault for AgentFlow with an admin token: KV v2 mount, scoped policies, AppRole credentials.

Used by the embedded OpenBao on every start and by `agentflow vault setup` for an external Vault.
Idempotent: policies and roles are rewritten, a still-valid AppRole secret id is kept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import hvac
import hvac.exceptions

from agentflow.errors import AgentFlowError
from agentflow.secrets.paths import check_prefix

Role = Literal["api", "worker"]
ROLES: tuple[Role, ...] = ("api", "worker")
# Tokens from an AppRole login live an hour; the SecretStore logs in again before they expire.
TOKEN_TTL = "1h"  # noqa: S105  (a duration, not a password)


class ProvisionError(AgentFlowError):
    code = "vault_provision_failed"


@dataclass(frozen=True)
class AppRoleCredentials:
    role_id: str
    secret_id: str = field(repr=False)

    def env(self) -> dict[str, str]:
        """The variables a process needs to log in (with VAULT_ADDR)."""
        return {"VAULT_ROLE_ID": self.role_id, "VAULT_SECRET_ID": self.secret_id}


def role_name(role: Role) -> str:
    return f"agentflow-{role}"


def policies(mount: str, prefix: str) -> dict[Role, str]:
    """HCL policies reaching only `<mount>/{data,metadata}/<prefix>/*`.

    The API creates, rotates and deletes; the worker reads (values are resolved at run time) and writes
    only run checkpoints (`orgs/<org>/checkpoint/…`: step outputs that held a
    secret, engine/worker/checkpoints.py) and integration tokens it refreshed (`orgs/<org>/integration/…`).
    """
    check_prefix(prefix)
    data, metadata = f"{mount}/data/{prefix}/*", f"{mount}/metadata/{prefix}/*"
    checkpoint_data = f"{mount}/data/{prefix}/orgs/+/checkpoint/*"
    checkpoint_metadata = f"{mount}/metadata/{prefix}/orgs/+/checkpoint/*"
    integration_data = f"{mount}/data/{prefix}/orgs/+/integration/*"
    return {
        "api": (
            f'path "{data}" {{\n  capabilities = ["create", "read", "update", "delete"]\n}}\n'
            f'path "{metadata}" {{\n  capabilities = ["read", "list", "delete"]\n}}\n'
        ),
        "worker": (
            f'path "{data}" {{\n  capabilities = ["read"]\n}}\n'
            f'path "{metadata}" {{\n  capabilities = ["read", "list"]\n}}\n'
            f'path "{checkpoint_data}" {{\n  capabilities = ["create", "read", "update", "delete"]\n}}\n'
            f'path "{checkpoint_metadata}" {{\n  capabilities = ["read", "list", "delete"]\n}}\n'
            f'path "{integration_data}" {{\n  capabilities = ["create", "read", "update"]\n}}\n'
        ),
    }


def ensure_kv_v2(client: hvac.Client, mount: str, *, timeout: float = 30.0) -> None:
    """Mount KV v2 at `mount` unless it is there; refuse a KV v1 or other engine on that path."""
    mounts: dict[str, Any] = client.sys.list_mounted_secrets_engines()["data"]
    existing = mounts.get(f"{mount}/")
    if existing is None:
        client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    elif existing.get("type") != "kv" or str((existing.get("options") or {}).get("version")) != "2":
        raise ProvisionError(f"The Vault mount {mount!r} exists but is not a KV version 2 engine")
    # A fresh KV v2 mount upgrades its storage for a moment and refuses requests meanwhile.
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.secrets.kv.v2.read_secret_version(
                path="agentflow-readiness-probe", mount_point=mount, raise_on_deleted_version=True
            )
            return
        except hvac.exceptions.InvalidPath:
            return
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.InternalServerError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _login_works(client: hvac.Client, approle_mount: str, credentials: AppRoleCredentials) -> bool:
    probe = hvac.Client(url=client.url, token="", namespace=getattr(client.adapter, "namespace", None))
    try:
        probe.auth.approle.login(
            role_id=credentials.role_id,
            secret_id=credentials.secret_id,
            mount_point=approle_mount,
            use_token=False,
        )
        return True
    except hvac.exceptions.VaultError:
        return False
    finally:
        probe.adapter.close()


def provision(
    client: hvac.Client,
    *,
    mount: str = "secret",
    prefix: str = "agentflow",
    approle_mount: str = "approle",
    bound_cidrs: Sequence[str] = (),
    existing: Mapping[Role, AppRoleCredentials] | None = None,
) -> dict[Role, AppRoleCredentials]:
    """Mount, policies, AppRole roles `agentflow-api` / `agentflow-worker`; returns their credentials."""
    ensure_kv_v2(client, mount)
    for role, hcl in policies(mount, prefix).items():
        client.sys.create_or_update_policy(name=role_name(role), policy=hcl)
    if f"{approle_mount}/" not in client.sys.list_auth_methods()["data"]:
        client.sys.enable_auth_method("approle", path=approle_mount)
    credentials: dict[Role, AppRoleCredentials] = {}
    for role in ROLES:
        name = role_name(role)
        client.auth.approle.create_or_update_approle(
            name,
            token_policies=[name],
            # No default policy: the token reaches nothing but the policy above (no sys/, no cubbyhole).
            token_no_default_policy=True,
            token_ttl=TOKEN_TTL,
            token_max_ttl=TOKEN_TTL,
            secret_id_ttl="0",  # noqa: S106  (never expires: the data dir holds it, 0600)
            secret_id_num_uses=0,
            secret_id_bound_cidrs=list(bound_cidrs) or None,
            token_bound_cidrs=list(bound_cidrs) or None,
            mount_point=approle_mount,
        )
        role_id = client.auth.approle.read_role_id(name, mount_point=approle_mount)["data"]["role_id"]
        kept = (existing or {}).get(role)
        if kept is not None and kept.role_id == role_id and _login_works(client, approle_mount, kept):
            credentials[role] = kept
            continue
        generated = client.auth.approle.generate_secret_id(name, mount_point=approle_mount)
        credentials[role] = AppRoleCredentials(role_id=role_id, secret_id=generated["data"]["secret_id"])
    return credentials
