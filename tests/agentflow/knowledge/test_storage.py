"""Where documents' files live: LocalFileStore on real files, and S3FileStore through real prefect-aws blocks
(saved to the test harness's Prefect server) against moto's S3 server on loopback, over boto3's real wire
protocol."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from prefect_aws import AwsCredentials, S3Bucket

from agentflow.config import Settings
from agentflow.embedded.ports import free_port
from agentflow.knowledge.storage import (
    LocalFileStore,
    S3FileStore,
    document_key,
    file_store,
    knowledge_base_prefix,
)
from tests.conftest import prefect_auth, prefect_url

ACCESS_KEY, SECRET_KEY, REGION = "testing-key", "testing-secret", "us-east-1"


# --- LocalFileStore ---------------------------------------------------------------------------------------


async def test_local_put_get_delete(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    await store.put("org/kb/doc", b"first")
    await store.put("org/kb/doc", b"second")  # replaces
    assert await store.get("org/kb/doc") == b"second"
    assert (tmp_path / "org" / "kb" / "doc").read_bytes() == b"second"
    await store.delete("org/kb/doc")
    with pytest.raises(FileNotFoundError):
        await store.get("org/kb/doc")
    await store.delete("org/kb/doc")  # already gone: no error


async def test_local_delete_prefix_keeps_other_knowledge_bases(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    for name in ("a", "b", "c"):
        await store.put(f"org/kb1/{name}", name.encode())
    await store.put("org/kb10/a", b"other")
    await store.delete_prefix("org/kb1/")
    assert not (tmp_path / "org" / "kb1").exists()
    assert await store.get("org/kb10/a") == b"other"
    await store.delete_prefix("org/kb1/")  # already gone: no error


@pytest.mark.parametrize("key", ["../escape", "org/../../escape", "org//doc", "org/./doc", "", "/"])
async def test_local_refuses_keys_that_climb_or_are_empty(tmp_path: Path, key: str) -> None:
    store = LocalFileStore(tmp_path / "root")
    with pytest.raises(ValueError, match="bad storage key"):
        await store.put(key, b"x")
    with pytest.raises(ValueError, match="bad storage key"):
        await store.delete_prefix(key)
    assert not (tmp_path / "escape").exists()


async def test_local_write_goes_through_a_partial_name(tmp_path: Path) -> None:
    """A write that fails half way leaves the previous file whole: the data goes to `<name>.partial` and is
    renamed over the file only once complete."""
    store = LocalFileStore(tmp_path)
    await store.put("org/kb/doc", b"previous content")
    partial = tmp_path / "org" / "kb" / "doc.partial"
    partial.mkdir()  # the temporary name cannot be written: the write fails before the rename
    with pytest.raises(IsADirectoryError):
        await store.put("org/kb/doc", b"new content")
    assert await store.get("org/kb/doc") == b"previous content"
    partial.rmdir()
    await store.put("org/kb/doc", b"new content")
    assert await store.get("org/kb/doc") == b"new content"
    assert sorted(p.name for p in (tmp_path / "org" / "kb").iterdir()) == ["doc"]  # no leftover .partial


# --- S3FileStore against moto ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def prefect_api() -> Iterator[None]:
    """Blocks are saved to and loaded from the harness's Prefect server (never an ephemeral one)."""
    with temporary_settings(
        updates={PREFECT_API_URL: prefect_url(), PREFECT_API_AUTH_STRING: prefect_auth()}
    ):
        yield


def _raw_client(s3_url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def _keys(s3_url: str, bucket: str) -> list[str]:
    pages = _raw_client(s3_url).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


async def _bucket_block(s3_url: str, *, folder: str = "") -> str:
    """A new bucket in moto and an `S3Bucket` block of the same name naming it, saved to Prefect."""
    bucket = f"kb-{uuid.uuid4().hex[:12]}"
    _raw_client(s3_url).create_bucket(Bucket=bucket)
    credentials = AwsCredentials(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        aws_client_parameters={"endpoint_url": s3_url},
    )
    await credentials.asave(f"{bucket}-credentials")
    await S3Bucket(bucket_name=bucket, credentials=credentials, bucket_folder=folder).asave(bucket)
    return bucket


@pytest.mark.usefixtures("prefect_api")
async def test_s3_put_get_delete(s3_url: str) -> None:
    block = bucket = await _bucket_block(s3_url)
    store = S3FileStore(block)
    key = document_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    data = bytes(range(256)) * 64
    await store.put(key, data)
    assert await store.get(key) == data
    assert _keys(s3_url, bucket) == [key]
    await store.put(key, b"replaced")
    assert await store.get(key) == b"replaced"
    await store.delete(key)
    assert _keys(s3_url, bucket) == []
    # A missing object is the same error as a missing local file: ingestion tells the user by it.
    with pytest.raises(FileNotFoundError):
        await store.get(key)
    await store.delete(key)  # already gone: no error


@pytest.mark.usefixtures("prefect_api")
async def test_s3_delete_prefix_removes_every_key_under_it(s3_url: str) -> None:
    block = bucket = await _bucket_block(s3_url)
    store = S3FileStore(block)
    org, kb, other_kb = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    doomed = [document_key(org, kb, uuid.uuid4()) for _ in range(25)]
    kept = [document_key(org, other_kb, uuid.uuid4()) for _ in range(3)]
    # A knowledge base whose id starts with the deleted one's: the prefix ends at the folder, not mid-name.
    neighbour = f"{org}/{kb}0/{uuid.uuid4()}"
    for key in [*doomed, *kept, neighbour]:
        await store.put(key, key.encode())
    await store.delete_prefix(knowledge_base_prefix(org, kb))
    assert _keys(s3_url, bucket) == sorted([*kept, neighbour])
    for key in kept:
        assert await store.get(key) == key.encode()
    await store.delete_prefix(knowledge_base_prefix(org, kb))  # nothing left: no error


@pytest.mark.usefixtures("prefect_api")
async def test_s3_respects_the_bucket_folder(s3_url: str) -> None:
    block = bucket = await _bucket_block(s3_url, folder="agentflow/documents")
    store = S3FileStore(block)
    org, kb = uuid.uuid4(), uuid.uuid4()
    keys = [document_key(org, kb, uuid.uuid4()) for _ in range(3)]
    for key in keys:
        await store.put(key, b"in the folder")
    assert _keys(s3_url, bucket) == sorted(f"agentflow/documents/{key}" for key in keys)
    assert await store.get(keys[0]) == b"in the folder"
    await store.delete(keys[0])
    assert _keys(s3_url, bucket) == sorted(f"agentflow/documents/{key}" for key in keys[1:])
    await store.delete_prefix(knowledge_base_prefix(org, kb))
    assert _keys(s3_url, bucket) == []


@pytest.mark.usefixtures("prefect_api")
async def test_s3_refuses_bad_keys(s3_url: str) -> None:
    block = bucket = await _bucket_block(s3_url)
    store = S3FileStore(block)
    await store.put("org/kb/doc", b"kept")
    for key in ("", "/", "org/../kb", "org//kb"):
        with pytest.raises(ValueError, match="bad storage key"):
            await store.delete_prefix(key)  # an empty prefix would empty the bucket
    assert _keys(s3_url, bucket) == ["org/kb/doc"]


@pytest.mark.usefixtures("prefect_api")
async def test_file_store_follows_the_setting(s3_url: str, tmp_path: Path) -> None:
    block = await _bucket_block(s3_url)
    s3 = file_store(Settings(data_dir=tmp_path, knowledge_s3_block=block))
    assert isinstance(s3, S3FileStore)
    assert s3.block_name == block
    await s3.put("org/kb/doc", b"through the setting")
    assert await s3.get("org/kb/doc") == b"through the setting"
    assert file_store(Settings(data_dir=tmp_path, knowledge_s3_block=block)) is s3  # one per process
    local = file_store(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalFileStore)
    assert local.root == tmp_path / "knowledge"
