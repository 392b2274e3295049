"""/knowledge-bases: create, configure and delete; uploads checked by content, size and the org's storage
(nothing is created when one file is refused); URL documents fetched through the egress guard; ingestion
flow runs created for each document; queries validated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.models import KnowledgeDocument
from agentflow.rbac import Role
from tests.factories import Member, add_member
from tests.support.outside import Outside, outside_server

MARKDOWN = b"# Refunds\n\nItems can be returned within 30 days.\n\n## Exceptions\n\nGift cards are final.\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def outside() -> Iterator[Outside]:
    with outside_server() as server:
        yield server


async def _kb(client: httpx.AsyncClient, member: Member, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/knowledge-bases", json={"name": "Handbook", **body}, headers=member.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in items]


async def _count_documents(session: AsyncSession, kb_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(KnowledgeDocument)
            .where(KnowledgeDocument.knowledge_base_id == uuid.UUID(kb_id))
        )
        or 0
    )


async def test_create_list_update_delete(client: httpx.AsyncClient, owner: Member) -> None:
    kb = await _kb(client, owner, description="Policies", chunk_size=256, chunk_overlap=32)
    assert kb["embedding_model"] == "local/multilingual-e5-small"
    assert kb["dimensions"] == 384 and kb["document_count"] == 0 and kb["chunk_strategy"] == "recursive"
    listed = (await client.get("/knowledge-bases", headers=owner.headers)).json()
    assert [item["id"] for item in listed["items"]] == [kb["id"]]
    renamed = await client.put(
        f"/knowledge-bases/{kb['id']}", json={"name": "Handbook 2027"}, headers=owner.headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Handbook 2027"
    deleted = await client.delete(f"/knowledge-bases/{kb['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/knowledge-bases/{kb['id']}", headers=owner.headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chunk_size": 128, "chunk_overlap": 128}, "chunk_overlap"),
        ({"chunk_size": 10}, "chunk_size"),
        ({"chunk_size": 10**12}, "chunk_size"),
        ({"embedding_model": "local/no-such-model"}, "embedding_model"),
        ({"embedding_model": "anthropic/claude-3-5-haiku"}, "embedding_model"),
        ({"chunk_strategy": "random"}, "chunk_strategy"),
        ({"name": "x" * 201}, "name"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_invalid_settings_are_422(
    client: httpx.AsyncClient, owner: Member, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/knowledge-bases", json={"name": "kb", **body}, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_viewers_query_but_do_not_manage(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    kb = await _kb(client, owner)
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    assert (await client.get(f"/knowledge-bases/{kb['id']}", headers=viewer.headers)).status_code == 200
    query = await client.post(
        f"/knowledge-bases/{kb['id']}/query", json={"query": "refunds"}, headers=viewer.headers
    )
    assert query.status_code == 200 and query.json() == {"chunks": []}  # nothing ingested yet
    upload = await client.post(
        f"/knowledge-bases/{kb['id']}/documents", files=_files(("a.md", MARKDOWN)), headers=viewer.headers
    )
    assert upload.status_code == 403


async def test_upload_several_files_queues_each_with_its_sniffed_kind(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    kb = await _kb(client, owner)
    csv = b"sku,name,price\nZX-4410,Pump,120\nZX-4411,Valve,30\n"
    html = b"<!doctype html><html><head><title>Guide</title></head><body><p>Hello</p></body></html>"
    response = await client.post(
        f"/knowledge-bases/{kb['id']}/documents",
        # Names lie on purpose: the kind comes from the content (the .txt is HTML).
        files=_files(("refunds.md", MARKDOWN), ("prices.csv", csv), ("page.txt", html)),
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    documents = response.json()["documents"]
    assert [(d["name"], d["kind"], d["status"]) for d in documents] == [
        ("refunds.md", "markdown", "queued"),
        ("prices.csv", "csv", "queued"),
        ("page.txt", "html", "queued"),
    ]
    assert {d["bytes"] for d in documents} == {len(MARKDOWN), len(csv), len(html)}
    for document in documents:
        assert set(document) >= {"id", "name", "status", "error", "pages", "chunks", "bytes", "created_at"}
        row = await session.get(KnowledgeDocument, uuid.UUID(document["id"]))
        assert row is not None and row.flow_run_id is not None  # its ingestion run was created
        stored = Path(settings.data_dir, "knowledge", row.storage_key)
        assert stored.read_bytes() in (MARKDOWN, csv, html)  # noqa: ASYNC240
        run = await app.state.gateway.client.read_flow_run(row.flow_run_id)
        assert run.parameters == {"document_id": document["id"]}
        assert f"org:{owner.org_id}" in run.tags
    refreshed = (await client.get(f"/knowledge-bases/{kb['id']}", headers=owner.headers)).json()
    assert refreshed["document_count"] == 3 and refreshed["bytes_used"] == len(MARKDOWN) + len(csv) + len(
        html
    )
    listed = (await client.get(f"/knowledge-bases/{kb['id']}/documents", headers=owner.headers)).json()
    assert {d["id"] for d in listed["items"]} == {d["id"] for d in documents}


async def test_a_refused_file_refuses_the_upload_and_creates_nothing(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    kb = await _kb(client, owner)
    wrong = await client.post(
        f"/knowledge-bases/{kb['id']}/documents",
        files=_files(("ok.md", MARKDOWN), ("photo.pdf", PNG)),
        headers=owner.headers,
    )
    assert wrong.status_code == 415, wrong.text
    error = wrong.json()["error"]
    assert error["code"] == "unsupported_document_type" and "pdf" in error["details"]["supported"]
    assert "photo.pdf" in error["message"]
    assert await _count_documents(session, kb["id"]) == 0


async def test_size_limits_per_file_per_org_and_per_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    kb = await _kb(client, owner)
    big = b"word " * (settings.knowledge_max_file_bytes // 5 + 1)
    too_big = await client.post(
        f"/knowledge-bases/{kb['id']}/documents", files=_files(("big.txt", big)), headers=owner.headers
    )
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "file_too_large"
    # Just under the per-file limit, enough of them pass the org's storage limit.
    almost = b"word " * (settings.knowledge_max_file_bytes // 5 - 10)
    count = settings.knowledge_max_org_bytes // len(almost) + 1
    assert count <= settings.knowledge_max_files_per_upload
    full = await client.post(
        f"/knowledge-bases/{kb['id']}/documents",
        files=_files(*[(f"part-{i}.txt", almost) for i in range(count)]),
        headers=owner.headers,
    )
    assert full.status_code == 413, full.text
    assert full.json()["error"]["code"] == "knowledge_storage_full"
    assert await _count_documents(session, kb["id"]) == 0
    huge = b"x" * (settings.knowledge_max_file_bytes * (settings.knowledge_max_files_per_upload + 1))
    refused = await client.post(
        f"/knowledge-bases/{kb['id']}/documents", files=_files(("huge.txt", huge)), headers=owner.headers
    )
    assert refused.status_code == 413  # the body limit stops it before the server reads it all


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"files": []}}, 415, "multipart_required"),
        ({"files": [("other", ("a.md", MARKDOWN, "text/markdown"))]}, 400, "missing_file"),
        ({"files": _files(("empty.md", b""))}, 400, "empty_file"),
        ({"files": _files(("blob.txt", bytes(range(256)) * 8))}, 415, "unsupported_document_type"),
    ],
)
async def test_malformed_uploads_are_4xx(
    client: httpx.AsyncClient, owner: Member, kwargs: dict[str, Any], status: int, code: str
) -> None:
    kb = await _kb(client, owner)
    response = await client.post(f"/knowledge-bases/{kb['id']}/documents", headers=owner.headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_url_documents_are_fetched_through_the_egress_guard(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, owner: Member, outside: Outside
) -> None:
    page = b"<html><head><title>Pricing</title></head><body><main>Plans start at 10 EUR.</main></body></html>"

    async def html(request: Any, body: Any) -> httpx.Response:
        from starlette.responses import Response

        return Response(page, media_type="text/html")  # type: ignore[return-value]

    outside.routes["/pricing"] = html
    kb = await _kb(client, owner)
    added = await client.post(
        f"/knowledge-bases/{kb['id']}/documents/url",
        json={"url": f"{outside.url}/pricing"},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    document = added.json()
    assert document["kind"] == "html" and document["source"] == "url"
    assert document["source_url"] == f"{outside.url}/pricing" and document["bytes"] == len(page)
    # Without the operator's allowlist, a private address is refused before anything is stored.
    app.state.egress = EgressPolicy.build("", protected_urls=())
    refused = await client.post(
        f"/knowledge-bases/{kb['id']}/documents/url",
        json={"url": f"{outside.url}/pricing"},
        headers=owner.headers,
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "egress_refused"
    assert "AGENTFLOW_EGRESS_ALLOWLIST" in refused.json()["error"]["message"]
    for url in ("file:///etc/passwd", "ftp://example.com/a", "x" * 3000):
        bad = await client.post(
            f"/knowledge-bases/{kb['id']}/documents/url", json={"url": url}, headers=owner.headers
        )
        assert bad.status_code == 422, bad.text


async def test_delete_and_reindex_a_document(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    kb = await _kb(client, owner)
    created = await client.post(
        f"/knowledge-bases/{kb['id']}/documents", files=_files(("a.md", MARKDOWN)), headers=owner.headers
    )
    (document,) = created.json()["documents"]
    row = await session.get(KnowledgeDocument, uuid.UUID(document["id"]))
    assert row is not None
    stored = Path(settings.data_dir, "knowledge", row.storage_key)
    reindexed = await client.post(
        f"/knowledge-bases/{kb['id']}/documents/{document['id']}/reindex", headers=owner.headers
    )
    assert reindexed.status_code == 202 and reindexed.json()["status"] == "queued"
    gone = await client.delete(
        f"/knowledge-bases/{kb['id']}/documents/{document['id']}", headers=owner.headers
    )
    assert gone.status_code == 204 and not stored.exists()  # noqa: ASYNC240
    assert (await client.get(f"/knowledge-bases/{kb['id']}", headers=owner.headers)).json()[
        "document_count"
    ] == 0
    wrong_kb = await client.get(
        f"/knowledge-bases/{uuid.uuid4()}/documents/{document['id']}", headers=owner.headers
    )
    assert wrong_kb.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"query": ""},
        {"query": "x" * 4001},
        {"query": "refunds", "top_k": 51},
        {"query": "refunds", "top_k": 0},
        {"query": "refunds", "mode": "magic"},
        {"query": "refunds", "filter": {"document_ids": ["not-a-uuid"]}},
        {"query": "refunds", "filter": {"metadata": {f"k{i}": i for i in range(21)}}},
        {"query": "refunds", "min_score": 5},
        {"query": 42},
    ],
)
async def test_invalid_queries_are_422(
    client: httpx.AsyncClient, owner: Member, body: dict[str, Any]
) -> None:
    kb = await _kb(client, owner)
    response = await client.post(f"/knowledge-bases/{kb['id']}/query", json=body, headers=owner.headers)
    assert response.status_code == 422, response.text


async def test_documents_queued_while_prefect_was_away_are_dispatched_later(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    kb = await _kb(client, owner)
    dispatcher = app.state.ingestion
    app.state.ingestion = None  # as without a Prefect server: the document waits, queued
    created = await client.post(
        f"/knowledge-bases/{kb['id']}/documents", files=_files(("a.md", MARKDOWN)), headers=owner.headers
    )
    (document,) = created.json()["documents"]
    row = await session.get(KnowledgeDocument, uuid.UUID(document["id"]))
    assert row is not None and row.status == "queued" and row.flow_run_id is None
    assert await dispatcher.dispatch_stranded(age_seconds=0) >= 1  # what the worker's sweeper does
    await session.refresh(row)
    assert row.flow_run_id is not None
