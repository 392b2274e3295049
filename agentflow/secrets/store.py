"""SecretStore: the one door to secret values, KV v2 under `<mount>/<prefix>/orgs/<org_id>/…`.

Reads are cached in this process for `vault_cache_seconds`; a write or delete through this store drops
the cached entry at once (other processes see the change when their entry expires).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import hvac
import hvac.exceptions

from agentflow.config import Settings
from agentflow.secrets.paths import SecretRef
from agentflow.secrets.vault import VaultConfig, VaultSession, VaultUnavailable

_CACHE_PRUNE_SIZE = 4096


@dataclass(frozen=True)
class VaultHealth:
    status: Literal["ok", "down", "not_configured"]
    detail: str | None = None


class _ReadCache:
    """path → (expiry, data), with a generation per path so a read racing a write never caches stale data."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, dict[str, str]]] = {}
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> dict[str, str] | None:
        with self._lock:
            entry = self._entries.get(path)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[path]
                return None
            return dict(entry[1])

    def generation(self, path: str) -> int:
        with self._lock:
            return self._generations.get(path, 0)

    def put(self, path: str, data: dict[str, str], generation: int) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if self._generations.get(path, 0) != generation:
                return
            if len(self._entries) >= _CACHE_PRUNE_SIZE:
                now = self._clock()
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[path] = (self._clock() + self.ttl, dict(data))

    def invalidate(self, path: str) -> None:
        with self._lock:
            self._entries.pop(path, None)
            self._generations[path] = self._generations.get(path, 0) + 1


# The VaultConnection block document (blocks/vault.py) `agentflow up` and `python -m blocks.register` save:
# a worker without VAULT_ADDR finds Vault through it.
VAULT_BLOCK = "agentflow-vault-connection/agentflow-vault"


class SecretStore:
    """Read, write and delete secret values by `SecretRef`; any Vault failure is a VaultUnavailable (503)."""

    def __init__(
        self, config: VaultConfig, *, cache_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self._session: VaultSession | None = VaultSession(config) if config.addr else None
        # The clock is a parameter so that a test can expire entries without waiting for them.
        self._cache = _ReadCache(cache_seconds, clock)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretStore:
        return cls(VaultConfig.from_settings(settings), cache_seconds=settings.vault_cache_seconds)

    @property
    def configured(self) -> bool:
        return self._session is not None

    def path(self, ref: SecretRef) -> str:
        """The secret's path under the KV mount (what the metadata row keeps as its reference)."""
        return ref.path(self.config.prefix)

    def _vault(self) -> VaultSession:
        if self._session is None:
            raise VaultUnavailable("The secret store is not configured (set VAULT_ADDR)")
        return self._session

    async def read(self, ref: SecretRef) -> dict[str, str] | None:
        """The secret's key/value data, or None when nothing is stored at its path."""
        path = self.path(ref)
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        generation = self._cache.generation(path)
        mount = self.config.mount

        def read(client: hvac.Client) -> dict[str, str] | None:
            try:
                response: dict[str, Any] = client.secrets.kv.v2.read_secret_version(
                    path=path, mount_point=mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath:
                return None
            return {str(k): str(v) for k, v in response["data"]["data"].items()}

        data = await asyncio.to_thread(self._vault().call, read)
        if data is not None:
            self._cache.put(path, data, generation)
        return data

    async def read_value(self, ref: SecretRef, key: str = "value") -> str | None:
        """One key of the secret (env secrets keep their value under `value`)."""
        data = await self.read(ref)
        return None if data is None else data.get(key)

    async def write(self, ref: SecretRef, data: Mapping[str, str]) -> int:
        """Store a new version of the secret; returns its KV version number."""
        path = self.path(ref)
        mount = self.config.mount
        payload = dict(data)

        def write(client: hvac.Client) -> int:
            response: dict[str, Any] = client.secrets.kv.v2.create_or_update_secret(
                path=path, secret=payload, mount_point=mount
            )
            return int(response["data"]["version"])

        self._cache.invalidate(path)
        try:
            return await asyncio.to_thread(self._vault().call, write)
        finally:
            self._cache.invalidate(path)

    async def delete(self, ref: SecretRef) -> None:
        """Delete every version and the metadata of the secret (idempotent)."""
        path = self.path(ref)
        mount = self.config.mount

        def delete(client: hvac.Client) -> None:
            with contextlib.suppress(hvac.exceptions.InvalidPath):
                client.secrets.kv.v2.delete_metadata_and_all_versions(path=path, mount_point=mount)

        self._cache.invalidate(path)
        try:
            await asyncio.to_thread(self._vault().call, delete)
        finally:
            self._cache.invalidate(path)

    async def health(self) -> VaultHealth:
        if self._session is None:
            return VaultHealth("not_configured", "VAULT_ADDR is not set")
        status, detail = await asyncio.to_thread(self._session.health)
        return VaultHealth(status, detail)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
