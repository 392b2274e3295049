"""Where documents' files live: under the data dir by default, or in S3 through a prefect-aws `S3Bucket`
block when `AGENTFLOW_KNOWLEDGE_S3_BLOCK` names one. The database keeps only the key.

Keys are `<org id>/<knowledge base id>/<document id>`: made of ids the server chose, never of a file name a
user sent, so no key can climb out of its folder.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import Any, Protocol

from agentflow.config import Settings


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


class LocalFileStore:
    """Files under `<data dir>/knowledge/`; writes go to a temporary name first, so a reader never sees half
    a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        parts = key.strip("/").split("/")
        assert all(part and part not in (".", "..") for part in parts), f"bad storage key {key!r}"
        return self.root.joinpath(*parts)

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
    """Files in an S3 bucket through prefect-aws's `S3Bucket` block (its credentials, region, endpoint)."""

    def __init__(self, block_name: str) -> None:
        self.block_name = block_name
        self._bucket: Any = None

    async def _block(self) -> Any:
        if self._bucket is None:
            from prefect_aws import S3Bucket  # the `s3` extra: only deployments that store in S3 need it

            self._bucket = await S3Bucket.aload(self.block_name)
        return self._bucket

    async def put(self, key: str, data: bytes) -> None:
        await (await self._block()).awrite_path(key, data)

    async def get(self, key: str) -> bytes:
        data: bytes = await (await self._block()).aread_path(key)
        return data

    async def delete(self, key: str) -> None:
        bucket = await self._block()
        await asyncio.to_thread(_s3_delete, bucket, [bucket._join_bucket_folder(key)])

    async def delete_prefix(self, prefix: str) -> None:
        bucket = await self._block()
        client = bucket._get_s3_client()
        folder = bucket._join_bucket_folder(prefix)
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket.bucket_name, Prefix=folder)
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        await asyncio.to_thread(_s3_delete, bucket, keys)


def _s3_delete(bucket: Any, keys: list[str]) -> None:
    client = bucket._get_s3_client()
    for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
        batch = keys[start : start + 1000]
        if batch:
            client.delete_objects(
                Bucket=bucket.bucket_name, Delete={"Objects": [{"Key": key} for key in batch]}
            )


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
