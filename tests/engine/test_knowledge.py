"""Knowledge bases end to end: real files uploaded over HTTP, one real Prefect flow run per document on the
worker (parse → chunk → embed with the offline model → pgvector), queries over the API, and an agent whose
knowledge.retrieve node puts the context into an AI node's prompt (the OpenAI SDK against a loopback server
speaking OpenAI's wire format)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import completion, openai_api
from tests.support import documents

pytestmark = pytest.mark.xdist_group("engine")


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeAPI, str]]:
    api = openai_api("/v1")
    server = LoopbackServer(api.app).start()
    yield api, server.url + "/v1"
    server.stop()


async def _kb(tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await tenant.client.post("/knowledge-bases", json={"name": "Manuals", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _upload(tenant: Tenant, kb_id: str, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    response = await tenant.client.post(
        f"/knowledge-bases/{kb_id}/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )
    assert response.status_code == 201, response.text
    return list(response.json()["documents"])


async def _settled(tenant: Tenant, kb_id: str, count: int, within: float = 180) -> dict[str, dict[str, Any]]:
    """The documents by name once none is queued or processing."""
    deadline = time.monotonic() + within
    while True:
        listed = (await tenant.client.get(f"/knowledge-bases/{kb_id}/documents")).json()["items"]
        if len(listed) == count and all(d["status"] in ("ready", "failed") for d in listed):
            return {d["name"]: d for d in listed}
        assert time.monotonic() < deadline, f"documents still ingesting: {listed}"
        await asyncio.sleep(0.25)


async def _query(tenant: Tenant, kb_id: str, query: str, **body: Any) -> list[dict[str, Any]]:
    response = await tenant.client.post(f"/knowledge-bases/{kb_id}/query", json={"query": query, **body})
    assert response.status_code == 200, response.text
    return list(response.json()["chunks"])


async def test_every_format_is_ingested_and_bad_pdfs_fail_alone(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    kb = await _kb(tenant, chunk_size=128, chunk_overlap=16)
    await _upload(
        tenant,
        kb["id"],
        ("manual.pdf", documents.pdf_two_pages()),
        ("guide.docx", documents.docx_with_headings()),
        ("prices.csv", documents.csv_rows()),
        ("page.html", documents.html_page()),
        ("notes.md", documents.markdown_doc()),
        ("broken.pdf", documents.pdf_corrupt()),
        ("locked.pdf", documents.pdf_encrypted()),
    )
    docs = await _settled(tenant, kb["id"], 7)
    for name in ("manual.pdf", "guide.docx", "prices.csv", "page.html", "notes.md"):
        assert docs[name]["status"] == "ready", docs[name]
        assert docs[name]["chunks"] > 0 and docs[name]["error"] is None
    assert docs["manual.pdf"]["pages"] == 2
    assert docs["broken.pdf"]["status"] == "failed" and docs["broken.pdf"]["error"]
    assert docs["locked.pdf"]["status"] == "failed" and "encrypted" in docs["locked.pdf"]["error"].lower()
    counts = (await tenant.client.get(f"/knowledge-bases/{kb['id']}")).json()
    assert counts["chunk_count"] == sum(d["chunks"] for d in docs.values())
    assert counts["document_count"] == 7

    warranty = await _query(tenant, kb["id"], "Where are warranty claims for the drone handled?", top_k=3)
    assert warranty[0]["document_name"] == "manual.pdf" and warranty[0]["page"] == 2
    assert "Lyon" in warranty[0]["content"]
    keyword = await _query(tenant, kb["id"], "Lyon", mode="keyword")
    assert keyword and all("Lyon" in c["content"] for c in keyword)
    only_docx = await _query(
        tenant, kb["id"], "drone", filter={"document_ids": [docs["guide.docx"]["id"]]}, top_k=50
    )
    assert only_docx and {c["document_name"] for c in only_docx} == {"guide.docx"}
    assert any(c["heading"] for c in only_docx)  # DOCX headings kept on the chunks

    # Deleting a document removes its chunks and its file.
    pdf_id = docs["manual.pdf"]["id"]
    stored = list(Path(engine_api.data_dir, "knowledge").rglob(pdf_id))  # noqa: ASYNC240
    assert len(stored) == 1
    deleted = await tenant.client.delete(f"/knowledge-bases/{kb['id']}/documents/{pdf_id}")
    assert deleted.status_code == 204
    assert not stored[0].exists()
    after = await _query(tenant, kb["id"], "Where are warranty claims for the drone handled?", top_k=50)
    assert all(c["document_id"] != pdf_id for c in after)


async def test_reindex_with_new_chunking_replaces_the_chunks(tenant: Tenant) -> None:
    kb = await _kb(tenant, chunk_size=512, chunk_overlap=0)
    long_page = " ".join([documents.PAGE_ONE, documents.PAGE_TWO] * 4)  # ~300 tokens a page
    pdf = documents.pdf_two_pages((long_page, long_page))
    (doc,) = await _upload(tenant, kb["id"], ("manual.pdf", pdf))
    before = (await _settled(tenant, kb["id"], 1))["manual.pdf"]
    assert before["chunks"] == 2  # a chunk per page at 512 tokens
    changed = await tenant.client.put(
        f"/knowledge-bases/{kb['id']}",
        json={"chunk_size": 64, "chunk_overlap": 8, "chunk_strategy": "structure"},
    )
    assert changed.status_code == 200, changed.text
    requeued = await tenant.client.get(f"/knowledge-bases/{kb['id']}/documents/{doc['id']}")
    assert requeued.json()["status"] in ("queued", "processing")
    after = (await _settled(tenant, kb["id"], 1))["manual.pdf"]
    assert after["status"] == "ready" and after["chunks"] > before["chunks"]
    total = (await tenant.client.get(f"/knowledge-bases/{kb['id']}")).json()["chunk_count"]
    assert total == after["chunks"]  # the old chunks were replaced, not added to
    assert doc["id"] == after["id"]


async def test_an_agent_puts_retrieved_context_into_the_prompt(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    api, base_url = fake_openai
    configured = await tenant.client.post(
        "/org/providers", json={"provider": "openai", "api_key": "sk-knowledge-test", "base_url": base_url}
    )
    assert configured.status_code == 200, configured.text
    kb = await _kb(tenant)
    await _upload(tenant, kb["id"], ("manual.pdf", documents.pdf_two_pages()))
    await _settled(tenant, kb["id"], 1)
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "search",
                "knowledge.retrieve",
                knowledge_base_id=kb["id"],
                query="{{trigger.output.question}}",
                top_k=2,
            ),
            node(
                "answer",
                "ai",
                operation="chat",
                model="gpt-4o-mini",
                prompt=(
                    "Answer from the context.\n{{search.output.context}}\n"
                    "Question: {{trigger.output.question}}"
                ),
            ),
        ],
        "edges": [edge("start", "search"), edge("search", "answer")],
    }
    agent = await tenant.agent(definition)
    api.enqueue(completion("Lyon.", prompt_tokens=100, completion_tokens=5))
    execution = await tenant.wait(await tenant.run(agent["id"], {"question": "Where do warranty claims go?"}))
    assert execution["status"] == "completed", execution
    prompt = api.bodies()[-1]["messages"][-1]["content"]
    assert "[1] manual.pdf, p. 2" in prompt and "service centre in Lyon" in prompt
    step = (await tenant.steps(execution["id"]))["search"]
    assert step["output"]["chunks"][0]["page"] == 2
    assert step["output"]["context"].startswith("[1] manual.pdf, p. 2")

    # Publishing a knowledge.retrieve node naming a knowledge base that is not the org's is refused.
    definition["nodes"][1]["config"]["knowledge_base_id"] = "00000000-0000-4000-8000-000000000000"
    other = await tenant.client.post("/agents", json={"name": "foreign", "definition": definition})
    refused = await tenant.client.post(f"/agents/{other.json()['id']}/publish", json={"message": "v1"})
    assert refused.status_code == 422, refused.text
    assert "unknown_knowledge_base" in refused.text
