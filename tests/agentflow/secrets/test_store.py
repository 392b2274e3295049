"""SecretStore against the session's real OpenBao, and what the scoped AppRole tokens can and cannot reach."""

from __future__ import annotations

import uuid
from typing import Literal

import hvac
import hvac.exceptions
import pytest
from pydantic import SecretStr

from agentflow.config import Settings
from agentflow.errors import ValidationFailed
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore
from agentflow.secrets.vault import VaultConfig, VaultUnavailable
from tests.conftest import vault_info
from tests.vault import approle_client, root_client


def env_ref(name: str = "API_KEY", org_id: uuid.UUID | None = None) -> SecretRef:
    return SecretRef(org_id=org_id or uuid.uuid4(), kind=SecretKind.env, name=name)


def store_for(settings: Settings, *, cache_seconds: float = 5.0, **overrides: object) -> SecretStore:
    return SecretStore.from_settings(
        settings.model_copy(update={"vault_cache_seconds": cache_seconds, **overrides})
    )


async def test_paths_are_prefix_orgs_org_kind_name(settings: Settings) -> None:
    ref = env_ref("OPENAI_API_KEY")
    assert store_for(settings).path(ref) == f"agentflow/orgs/{ref.org_id}/env/OPENAI_API_KEY"
    custom = store_for(settings, vault_prefix="tenants/agentflow")
    assert custom.path(ref) == f"tenants/agentflow/orgs/{ref.org_id}/env/OPENAI_API_KEY"


@pytest.mark.parametrize("name", ["..", "../X", "A/B", "lower", "", "X" * 129, "A\x00"])
def test_refs_refuse_names_that_could_leave_their_folder(name: str) -> None:
    with pytest.raises(ValidationFailed):
        env_ref(name)


@pytest.mark.parametrize("name", ["..", "a/b", ".hidden", "-x", ""])
def test_other_kinds_refuse_unsafe_names(name: str) -> None:
    with pytest.raises(ValidationFailed):
        SecretRef(org_id=uuid.uuid4(), kind=SecretKind.integration, name=name)


def test_refs_need_a_real_org_id() -> None:
    with pytest.raises(TypeError):
        SecretRef(org_id="../other-org", kind=SecretKind.env, name="X")  # type: ignore[arg-type]


def test_a_prefix_with_dot_segments_is_refused() -> None:
    with pytest.raises(ValueError, match="Invalid Vault prefix"):
        VaultConfig(addr="http://127.0.0.1:1", prefix="agentflow/../other")


async def test_write_read_delete(settings: Settings) -> None:
    store, ref = store_for(settings), env_ref()
    assert await store.read(ref) is None
    assert await store.write(ref, {"value": "one"}) == 1
    assert await store.read_value(ref) == "one"
    assert await store.write(ref, {"value": "two"}) == 2
    assert await store.read_value(ref) == "two"
    await store.delete(ref)
    assert await store.read(ref) is None
    await store.delete(ref)  # idempotent


class Clock:
    """A monotonic clock the test moves by hand, so the cache's TTL is checked without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_reads_are_cached_briefly_and_writes_invalidate(settings: Settings) -> None:
    clock = Clock()
    writer, ref = store_for(settings), env_ref()
    reader = SecretStore(VaultConfig.from_settings(settings), cache_seconds=5, clock=clock)
    await writer.write(ref, {"value": "old"})
    assert await reader.read_value(ref) == "old"
    await writer.write(ref, {"value": "new"})
    assert await writer.read_value(ref) == "new"  # the writer's own cache was invalidated
    assert await reader.read_value(ref) == "old"  # another process sees the change after its TTL …
    clock.now += 4
    assert await reader.read_value(ref) == "old"  # … not before it ends …
    clock.now += 1
    assert await reader.read_value(ref) == "new"  # … and not later
    await writer.write(ref, {"value": "newer"})
    clock.now += 4  # the entry read at the TTL's end has a TTL of its own
    assert await reader.read_value(ref) == "new"
    clock.now += 1
    assert await reader.read_value(ref) == "newer"
    uncached = store_for(settings, cache_seconds=0)
    await writer.write(ref, {"value": "newest"})
    assert await uncached.read_value(ref) == "newest"


async def test_not_configured_is_unavailable(settings: Settings) -> None:
    store = store_for(settings, vault_addr=None)
    assert not store.configured
    assert (await store.health()).status == "not_configured"
    with pytest.raises(VaultUnavailable, match="not configured"):
        await store.read(env_ref())


async def test_wrong_credentials_are_unavailable_with_a_clear_reason(settings: Settings) -> None:
    store = store_for(settings, vault_secret_id=SecretStr("not-the-secret-id"))
    with pytest.raises(VaultUnavailable, match="refused AgentFlow's credentials") as raised:
        await store.write(env_ref(), {"value": "x"})
    assert raised.value.status_code == 503 and raised.value.code == "service_unavailable"


async def test_a_revoked_token_logs_in_again(settings: Settings) -> None:
    store, ref = store_for(settings, cache_seconds=0), env_ref()
    await store.write(ref, {"value": "before"})
    session = store._session
    assert session is not None
    root_client().auth.token.revoke(session.client.token)
    assert await store.read_value(ref) == "before"


async def test_token_auth_works_too(settings: Settings) -> None:
    token = approle_client("api").token
    store = store_for(settings, vault_role_id=None, vault_secret_id=None, vault_token=SecretStr(token))
    ref = env_ref()
    assert await store.write(ref, {"value": "by token"}) == 1
    assert await store.read_value(ref) == "by token"


ROLES: list[Literal["api", "worker"]] = ["api", "worker"]


def denied(action: object) -> None:
    assert callable(action)
    with pytest.raises(hvac.exceptions.Forbidden):
        action()


@pytest.mark.parametrize("role", ROLES)
def test_scoped_tokens_reach_nothing_outside_the_prefix(role: Literal["api", "worker"]) -> None:
    client = approle_client(role)
    kv = client.secrets.kv.v2
    root_client().secrets.kv.v2.create_or_update_secret(
        path="other/app/db", secret={"password": "outside"}, mount_point="secret"
    )
    for path in ("other/app/db", "agentflowx/orgs/a", "agentflow", "agentflow/../other/app/db"):
        denied(
            lambda path=path: kv.read_secret_version(
                path=path, mount_point="secret", raise_on_deleted_version=True
            )
        )
        denied(
            lambda path=path: kv.create_or_update_secret(path=path, secret={"v": "x"}, mount_point="secret")
        )
    denied(lambda: kv.list_secrets(path="", mount_point="secret"))
    denied(lambda: kv.delete_metadata_and_all_versions(path="other/app/db", mount_point="secret"))
    # Nothing of sys/, the token's own details, or other auth and policy endpoints.
    denied(lambda: client.sys.list_mounted_secrets_engines())
    denied(lambda: client.sys.list_auth_methods())
    denied(lambda: client.sys.read_policy("agentflow-api"))
    denied(lambda: client.sys.create_or_update_policy("mine", 'path "*" { capabilities = ["sudo"] }'))
    denied(lambda: client.lookup_token())
    denied(lambda: client.auth.approle.generate_secret_id("agentflow-api"))
    denied(lambda: client.read("cubbyhole/anything"))


def test_the_api_writes_under_the_prefix_and_the_worker_only_reads() -> None:
    path = f"agentflow/orgs/{uuid.uuid4()}/env/SCOPED"
    api, worker = approle_client("api").secrets.kv.v2, approle_client("worker").secrets.kv.v2
    api.create_or_update_secret(path=path, secret={"value": "v"}, mount_point="secret")
    answer = worker.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    assert answer["data"]["data"] == {"value": "v"}
    denied(lambda: worker.create_or_update_secret(path=path, secret={"value": "w"}, mount_point="secret"))
    denied(lambda: worker.delete_metadata_and_all_versions(path=path, mount_point="secret"))
    api.delete_metadata_and_all_versions(path=path, mount_point="secret")


def test_the_worker_writes_run_checkpoints_and_nothing_else() -> None:
    org = uuid.uuid4()
    worker = approle_client("worker").secrets.kv.v2
    checkpoint = f"agentflow/orgs/{org}/checkpoint/{uuid.uuid4()}.abc"
    worker.create_or_update_secret(path=checkpoint, secret={"output": "{}"}, mount_point="secret")
    answer = worker.read_secret_version(path=checkpoint, mount_point="secret", raise_on_deleted_version=True)
    assert answer["data"]["data"] == {"output": "{}"}
    worker.delete_metadata_and_all_versions(path=checkpoint, mount_point="secret")
    for elsewhere in (
        f"agentflow/orgs/{org}/env/CHECKPOINT",
        f"agentflow/orgs/{org}/provider/checkpoint",
        f"agentflow/checkpoint/{org}",
        f"agentflow/orgs/{org}/x/checkpoint/y",
    ):
        denied(
            lambda p=elsewhere: worker.create_or_update_secret(
                path=p, secret={"v": "w"}, mount_point="secret"
            )
        )


def test_credentials_stay_out_of_repr() -> None:
    vault = vault_info()
    config = VaultConfig(
        addr=vault["addr"], token="tok-123", role_id="r", secret_id=vault["api"]["secret_id"]
    )
    assert "tok-123" not in repr(config) and vault["api"]["secret_id"] not in repr(config)


async def test_health(settings: Settings) -> None:
    assert (await store_for(settings).health()).status == "ok"
    unreachable = store_for(settings, vault_addr="http://127.0.0.1:9")
    health = await unreachable.health()
    assert health.status == "down" and "unreachable" in (health.detail or "")
    hvac_client: hvac.Client = approle_client("api")
    assert hvac_client.sys.read_health_status(method="GET")["sealed"] is False
