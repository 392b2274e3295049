"""Where export files live: the file store of knowledge documents (data dir, or S3 through a prefect-aws
`S3Bucket` block), under `exports/<org id>/<export id>.<format>` — server-chosen ids only."""

from __future__ import annotations

import uuid

from agentflow.config import Settings
from agentflow.knowledge.storage import FileStore, LocalFileStore, S3FileStore

_stores: dict[tuple[str, str], FileStore] = {}


def export_key(org_id: uuid.UUID, export_id: uuid.UUID, fmt: str) -> str:
    return f"exports/{org_id}/{export_id}.{fmt}"


def export_store(settings: Settings) -> FileStore:
    """The process's store for export files: the API reads what the worker wrote, so with S3 for
    knowledge (API and workers on several machines) exports go there too unless a block of their own is
    named."""
    block = settings.export_s3_block or settings.knowledge_s3_block
    key = ("s3", block) if block else ("local", str(settings.data_dir))
    if key not in _stores:
        _stores[key] = S3FileStore(block) if block else LocalFileStore(settings.data_dir)
    return _stores[key]
