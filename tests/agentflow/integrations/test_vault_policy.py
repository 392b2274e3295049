"""The worker's AppRole may write back the integration tokens it refreshed, and nothing more: it cannot
delete them, nor write any other kind of secret."""

from __future__ import annotations

import uuid

import hvac.exceptions
import pytest

from tests.vault import approle_client


def test_the_worker_updates_integration_tokens_but_cannot_delete_them() -> None:
    org, connection = uuid.uuid4(), uuid.uuid4()
    path = f"agentflow/orgs/{org}/integration/{connection}"
    api, worker = approle_client("api").secrets.kv.v2, approle_client("worker").secrets.kv.v2
    api.create_or_update_secret(path=path, secret={"access_token": "old"}, mount_point="secret")
    worker.create_or_update_secret(path=path, secret={"access_token": "refreshed"}, mount_point="secret")
    answer = worker.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    assert answer["data"]["data"] == {"access_token": "refreshed"}
    with pytest.raises(hvac.exceptions.Forbidden):
        worker.delete_metadata_and_all_versions(path=path, mount_point="secret")
    for elsewhere in (
        f"agentflow/orgs/{org}/env/TOKEN",
        f"agentflow/orgs/{org}/provider/openai",
        "agentflow/x",
    ):
        with pytest.raises(hvac.exceptions.Forbidden):
            worker.create_or_update_secret(path=elsewhere, secret={"v": "w"}, mount_point="secret")
    api.delete_metadata_and_all_versions(path=path, mount_point="secret")
