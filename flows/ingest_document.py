"""`ingest_document`: one flow run per document — parse → chunk → embed in batches → write chunks."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from prefect import flow, task
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.flows import Flow
from prefect.states import Failed

import blocks.vault  # noqa: F401 - registers the Vault block type a worker without VAULT_ADDR loads
from agentflow.ai.wiring import process_router
from agentflow.config import get_settings
from agentflow.engine.worker.store import engine_store
from agentflow.knowledge import ingestion, parsing
from agentflow.knowledge.chunking import Chunk, chunk_document
from agentflow.knowledge.embeddings import Embedded, embedder_for
from agentflow.knowledge.ingestion import IngestionFailed, Job
from agentflow.knowledge.storage import file_store
from agentflow.providers.base import ProviderError

EMBED_RETRIES = 3


@task(name="parse", persist_result=False)
async def parse_file(job: Job) -> parsing.ParsedDocument:
    try:
        data = await file_store(get_settings()).get(job.storage_key)
    except (FileNotFoundError, OSError) as exc:
        raise IngestionFailed("The document's file is missing from storage; upload it again") from exc
    try:
        return await asyncio.to_thread(parsing.parse, job.kind, data)
    except parsing.DocumentUnreadable as exc:
        raise IngestionFailed(exc.reason) from exc


@task(name="chunk", persist_result=False)
async def chunk(job: Job, document: parsing.ParsedDocument) -> list[Chunk]:
    return await asyncio.to_thread(
        chunk_document, document, size=job.chunk_size, overlap=job.chunk_overlap, strategy=job.chunk_strategy
    )


@task(name="embed", persist_result=False, retries=EMBED_RETRIES, retry_delay_seconds=[2, 10, 30])
async def embed(job: Job, batch: list[Chunk]) -> Embedded:
    """One batch; a provider's transient error (rate limit, timeout, 5xx) is retried by Prefect."""
    router = (
        process_router((await engine_store()).db) if not job.embedding_model.startswith("local/") else None
    )
    embedder = embedder_for(job.embedding_model, org_id=job.org_id, router=router)
    try:
        # The heading is embedded with its chunk (chunks of a section often never repeat what it is about).
        return await embedder.passages(
            [f"{c.heading}\n{c.content}" if c.heading else c.content for c in batch]
        )
    except ProviderError as exc:
        if exc.retryable:
            raise
        raise IngestionFailed(f"The embedding model refused the document: {exc}") from exc


def _on_ended(message: str) -> Any:
    async def hook(flow: Flow[Any, Any], flow_run: Any, state: State[Any]) -> None:
        await ingestion.fail_flow_runs(ingestion.sessions(get_settings()), [flow_run.id], message)

    return hook


@flow(
    name="ingest-document",
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
    on_crashed=[_on_ended("Ingestion stopped unexpectedly (the worker went away); re-index the document")],
    on_cancellation=[_on_ended("Ingestion was cancelled; re-index the document to try again")],
)
async def ingest_document(document_id: str) -> Any:
    """Ingest one document. The document lives in AgentFlow's database and file store; the run carries
    only its id."""
    settings = get_settings()
    factory = ingestion.sessions(settings)
    context = FlowRunContext.get()
    flow_run_id = context.flow_run.id if context and context.flow_run else None
    job = await ingestion.claim(factory, uuid.UUID(document_id), flow_run_id)
    if job is None:
        return {"document_id": document_id, "skipped": "the document was deleted"}
    progress = await acreate_progress_artifact(0.0, description=f"Ingesting {job.name}")
    try:
        document = await parse_file(job)
        chunks = await chunk(job, document)
        embedded: list[Embedded] = []
        groups = ingestion.batches(chunks, settings.knowledge_embed_batch)
        for number, batch in enumerate(groups, start=1):
            embedded.append(await embed(job, batch))
            await aupdate_progress_artifact(progress, 100.0 * number / len(groups))
        written = await ingestion.write(factory, job, pages=document.pages, chunks=chunks, embedded=embedded)
        await aupdate_progress_artifact(progress, 100.0)
    except IngestionFailed as exc:
        await ingestion.fail(factory, job.document_id, exc.reason)
        return Failed(message=exc.reason)
    except Exception as exc:
        await ingestion.fail(factory, job.document_id, f"Ingestion failed: {type(exc).__name__}: {exc}")
        raise
    return {"document_id": document_id, "chunks": written, "pages": document.pages}
