"""Where documents' files live: under the data dir by default, or in S3 through a prefect-aws `S3Bucket`
block when `AGENTFLOW_KNOWLEDGE_S3_BLOCK` names one. The database keeps only the key.

Keys are `<org id>/<knowledge base id>/<document id>`: made of ids the server chose, never of a file name a
user sent, so no key can climb out of its folder.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from agentflow.config import Settings

_T = TypeVar("_T")


def document_key(org_id: uuid.UUID, knowledge_base_id: uuid.UUID, document_id: uuid.UUID) -> str:
    """The storage key of a document's file."""
    return f"{org_id}/{knowledge_base_id}/{document_id}"


def knowledge_base_prefix(org_id: uuid.UUID, knowledge_base_id: uuid.UUID) -> str:
    """The prefix every file of one knowledge base shares."""
    return f"{org_id}/{knowledge_base_id}/"


class FileStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def delete_prefix(self, prefix: str) -> None: ...


def _key_parts(key: str) -> list[str]:
    """The folders and name of a key; one that could climb out of its folder, or is empty, is refused."""
    parts = key.strip("/").split("/")
    if not all(part and part not in (".", "..") for part in parts):
        raise ValueError(f"bad storage key {key!r}")
    return parts


class LocalFileStore:
    """Files under `<data dir>/knowledge/`; writes go to a temporary name first, so a reader never sees half
    a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_key_parts(key))

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._path(prefix), ignore_errors=True)


class S3FileStore:
    """Files in an S3 bucket through prefect-aws's `S3Bucket` block (its credentials, region, endpoint,
    bucket folder). boto3 blocks, so every call runs in a thread."""

    def __init__(self, block_name: str) -> None:
        self.block_name = block_name
        self._bucket: Any = None

    async def _block(self) -> Any:
        if self._bucket is None:
            from prefect_aws import S3Bucket  # the `s3` extra: only deployments that store in S3 need it

            self._bucket = await S3Bucket.aload(self.block_name)
        return self._bucket

    async def _call(self, key: str, operation: Callable[[Any, str, str], _T]) -> _T:
        """`operation(client, bucket name, object key)` in a thread. One key mapping for every operation
        (not the block's own `_resolve_path`, which skips the folder for a key that already starts with
        it), so `delete` removes exactly what `put` wrote."""
        bucket = await self._block()
        folder = (bucket.bucket_folder or "").strip("/")
        name = "/".join([*([folder] if folder else []), *_key_parts(key)])
        # The credentials block caches its boto3 client: made once per process, not per call.
        client = bucket.credentials.get_client("s3")
        return await asyncio.to_thread(operation, client, bucket.bucket_name, name)

    async def put(self, key: str, data: bytes) -> None:
        # One PUT: S3 shows an object only once it is complete, the same promise as LocalFileStore's rename.
        await self._call(
            key, lambda client, bucket, name: client.put_object(Bucket=bucket, Key=name, Body=data)
        )

    async def get(self, key: str) -> bytes:
        return await self._call(key, _s3_get)

    async def delete(self, key: str) -> None:
        await self._call(key, lambda client, bucket, name: _s3_delete(client, bucket, [name]))

    async def delete_prefix(self, prefix: str) -> None:
        await self._call(prefix, _s3_delete_prefix)


def _s3_get(client: Any, bucket: str, name: str) -> bytes:
    try:
        data: bytes = client.get_object(Bucket=bucket, Key=name)["Body"].read()
    except client.exceptions.NoSuchKey as exc:
        # The same error as a missing local file: callers (ingestion) tell "upload it again" by it.
        raise FileNotFoundError(f"no object {name!r} in bucket {bucket!r}") from exc
    return data


def _s3_delete_prefix(client: Any, bucket: str, name: str) -> None:
    # The trailing slash: deleting `org/kb` must not touch `org/kb2...`.
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=name + "/")
    _s3_delete(client, bucket, [item["Key"] for page in pages for item in page.get("Contents", [])])


def _s3_delete(client: Any, bucket: str, names: list[str]) -> None:
    for start in range(0, len(names), 1000):  # DeleteObjects takes at most 1,000 keys
        batch = names[start : start + 1000]
        client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": name} for name in batch]})


_stores: dict[tuple[str, str], FileStore] = {}


def file_store(settings: Settings) -> FileStore:
    """The process's file store for these settings."""
    key = (
        ("s3", settings.knowledge_s3_block)
        if settings.knowledge_s3_block
        else ("local", str(settings.data_dir))
    )
    if key not in _stores:
        _stores[key] = (
            S3FileStore(settings.knowledge_s3_block)
            if settings.knowledge_s3_block
            else LocalFileStore(settings.data_dir / "knowledge")
        )
    return _stores[key]
