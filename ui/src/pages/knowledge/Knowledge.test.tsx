import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { KnowledgeDocument, QueryResponse } from "@/api/knowledge";
import { KnowledgeBasePage } from "@/pages/knowledge/KnowledgeBasePage";
import { KnowledgeBasesPage } from "@/pages/knowledge/KnowledgeBasesPage";
import { knowledgeBase, knowledgeDocument } from "@/test/knowledge";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const KB = "/api/v1/knowledge-bases/kb-1";
const page = (items: unknown[]) => HttpResponse.json({ items, next_cursor: null });

function renderKnowledgeBase(me = ownerMe) {
  return renderPage(<KnowledgeBasePage />, { path: "/knowledge/:knowledgeBaseId", url: "/knowledge/kb-1", me });
}

describe("knowledge bases list", () => {
  it("shows an empty state, then creates a knowledge base with its chunk settings and opens it", async () => {
    let created: unknown = null;
    server.use(
      mock.get("/api/v1/knowledge-bases", () => page([])),
      mock.post("/api/v1/knowledge-bases", async ({ request }) => {
        created = await request.json();
        return HttpResponse.json(knowledgeBase({ id: "kb-9", name: "Handbook" }), { status: 201 });
      }),
    );
    const { router } = renderPage(<KnowledgeBasesPage />, { path: "/knowledge" });
    expect(await screen.findByText("No knowledge bases yet")).toBeTruthy();
    await userEvent.click(screen.getAllByRole("button", { name: "New knowledge base" })[0]!);
    await userEvent.type(screen.getByLabelText("Name"), "Handbook");
    await userEvent.clear(screen.getByLabelText("Chunk size (tokens)"));
    await userEvent.type(screen.getByLabelText("Chunk size (tokens)"), "256");
    await userEvent.selectOptions(screen.getByLabelText("Chunking strategy"), "structure");
    await userEvent.click(screen.getByRole("button", { name: "Create knowledge base" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/knowledge/kb-9"));
    // No model typed: the server picks its offline default.
    expect(created).toEqual({ name: "Handbook", description: "", chunk_size: 256, chunk_overlap: 64, chunk_strategy: "structure" });
  });

  it("lists name, description, documents, chunks, size and model", async () => {
    server.use(mock.get("/api/v1/knowledge-bases", () => page([knowledgeBase()])));
    renderPage(<KnowledgeBasesPage />, { path: "/knowledge" });
    const table = await screen.findByRole("table", { name: "Knowledge bases" });
    const row = within(table).getAllByRole("row")[1]!;
    for (const text of ["Support handbook", "Refunds, shipping and returns", "2", "14", "51 KB", "local/multilingual-e5-small"]) {
      expect(within(row).getByText(text)).toBeTruthy();
    }
  });

  it("offers no create button to viewers", async () => {
    server.use(mock.get("/api/v1/knowledge-bases", () => page([])));
    renderPage(<KnowledgeBasesPage />, { path: "/knowledge", me: { ...ownerMe, role: "viewer", permissions: ["agents:read", "knowledge:read"] } });
    expect(await screen.findByText("No knowledge bases yet")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "New knowledge base" })).toBeNull();
  });
});

describe("a knowledge base", () => {
  it("polls while a document is being ingested and shows failure reasons", async () => {
    let calls = 0;
    server.use(
      // The totals follow ingestion: none until the document is ready.
      mock.get(KB, () => HttpResponse.json(knowledgeBase({ chunk_count: calls >= 3 ? 7 : 0 }))),
      mock.get(`${KB}/documents`, () => {
        calls += 1;
        const status: KnowledgeDocument["status"] = calls === 1 ? "queued" : calls === 2 ? "processing" : "ready";
        return page([
          knowledgeDocument({ status, chunks: status === "ready" ? 7 : 0 }),
          knowledgeDocument({ id: "doc-2", name: "scan.pdf", kind: "pdf", status: "failed", error: "The PDF is encrypted", chunks: 0 }),
        ]);
      }),
    );
    renderKnowledgeBase();
    const table = await screen.findByRole("table", { name: "Documents" });
    expect(within(table).getByText("queued")).toBeTruthy();
    expect(within(table).getByText("The PDF is encrypted")).toBeTruthy();
    await waitFor(() => expect(within(table).getByText("ready")).toBeTruthy(), { timeout: 6000 });
    await waitFor(() => expect(screen.getByTestId("kb-chunks").textContent).toBe("7"));
    const settled = calls;
    // Everything is ready or failed: the list stops asking.
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(calls).toBe(settled);
  }, 12_000);

  it("uploads each file in its own request and shows a 415 with the API's message on that file only", async () => {
    const uploaded: string[] = [];
    server.use(
      mock.get(KB, () => HttpResponse.json(knowledgeBase({ document_count: 0, chunk_count: 0 }))),
      mock.get(`${KB}/documents`, () => page([])),
      mock.post(`${KB}/documents`, async ({ request }) => {
        const files = (await request.formData()).getAll("files") as File[];
        expect(files).toHaveLength(1);
        // Sniffed from the content, as the API does (jsdom's XMLHttpRequest does not carry the part's file name).
        const content = await files[0]!.text();
        if (content.startsWith("MZ")) {
          return HttpResponse.json(
            { error: { code: "unsupported_media_type", message: "setup.exe is not a supported type; supported: pdf, docx, csv, markdown, text, html", request_id: "r1" } },
            { status: 415 },
          );
        }
        uploaded.push(content);
        return HttpResponse.json({ documents: [knowledgeDocument({ name: "refunds.md", status: "queued" })] }, { status: 201 });
      }),
    );
    renderKnowledgeBase();
    await screen.findByText("No documents yet");
    // The picker offers the supported types; a drop takes anything, and the server is the judge.
    await userEvent.upload(screen.getByLabelText("Files to upload"), new File(["# Refunds\nWithin 14 days."], "refunds.md", { type: "text/markdown" }));
    fireEvent.drop(screen.getByTestId("drop-zone"), { dataTransfer: { files: [new File(["MZ"], "setup.exe")] } });
    await waitFor(() => expect(screen.getAllByTestId("upload-row")).toHaveLength(2));
    const rows = screen.getAllByTestId("upload-row");
    await waitFor(() => expect(rows.map((row) => row.dataset.state).sort()).toEqual(["done", "failed"]));
    const failed = rows.find((row) => row.dataset.state === "failed")!;
    expect(within(failed).getByText("setup.exe")).toBeTruthy();
    expect(within(failed).getByRole("alert").textContent).toContain("supported: pdf, docx, csv, markdown, text, html");
    expect(uploaded).toEqual(["# Refunds\nWithin 14 days."]);
  });

  it("adds a URL", async () => {
    let sent: unknown = null;
    server.use(
      mock.get(KB, () => HttpResponse.json(knowledgeBase())),
      mock.get(`${KB}/documents`, () => page([])),
      mock.post(`${KB}/documents/url`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(knowledgeDocument({ name: "Handbook", source: "url", source_url: "https://example.com/h", status: "queued" }), { status: 201 });
      }),
    );
    renderKnowledgeBase();
    await userEvent.type(await screen.findByLabelText("Add a web page"), "https://example.com/h");
    await userEvent.click(screen.getByRole("button", { name: "Add URL" }));
    await waitFor(() => expect(sent).toEqual({ url: "https://example.com/h" }));
  });

  it("warns that deleting cascades to its documents and chunks, then goes back to the list", async () => {
    let deleted = false;
    server.use(
      mock.get(KB, () => HttpResponse.json(knowledgeBase())),
      mock.get(`${KB}/documents`, () => page([knowledgeDocument()])),
      mock.delete(KB, () => {
        deleted = true;
        return new HttpResponse(null, { status: 204 });
      }),
      mock.get("/api/v1/knowledge-bases", () => page([])),
    );
    const { router } = renderKnowledgeBase();
    await userEvent.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog.textContent).toContain("deletes 2 documents and their 14 chunks");
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete knowledge base" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/knowledge"));
    expect(deleted).toBe(true);
  });

  it("reindexes and deletes a document", async () => {
    const seen: string[] = [];
    server.use(
      mock.get(KB, () => HttpResponse.json(knowledgeBase())),
      mock.get(`${KB}/documents`, () => page([knowledgeDocument()])),
      mock.post(`${KB}/documents/doc-1/reindex`, () => {
        seen.push("reindex");
        return HttpResponse.json(knowledgeDocument({ status: "queued" }), { status: 202 });
      }),
      mock.delete(`${KB}/documents/doc-1`, () => {
        seen.push("delete");
        return new HttpResponse(null, { status: 204 });
      }),
    );
    renderKnowledgeBase();
    await userEvent.click(await screen.findByRole("button", { name: "Reindex refunds.md" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete refunds.md" }));
    await userEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Delete document" }));
    await waitFor(() => expect(seen).toEqual(["reindex", "delete"]));
  });

  it("runs a test query and shows ranked chunks with score, document, page, heading and the words marked", async () => {
    let sent: unknown = null;
    const answer: QueryResponse = {
      chunks: [
        { content: "Refunds are issued within 14 days.", score: 0.0325, document_id: "doc-1", document_name: "refunds.md", page: 2, heading: "Refund policy", metadata: {} },
        { content: "Shipping takes 3 days.", score: 0.0161, document_id: "doc-2", document_name: "shipping.md", page: null, heading: null, metadata: {} },
      ],
    };
    server.use(
      mock.get(KB, () => HttpResponse.json(knowledgeBase())),
      mock.get(`${KB}/documents`, () => page([knowledgeDocument()])),
      mock.post(`${KB}/query`, async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(answer);
      }),
    );
    renderKnowledgeBase({ ...ownerMe, role: "viewer", permissions: ["agents:read", "knowledge:read"] });
    // Viewers query but do not manage: no upload, no delete.
    await screen.findByRole("table", { name: "Documents" });
    expect(screen.queryByLabelText("Files to upload")).toBeNull();
    await userEvent.type(screen.getByLabelText("Query"), "refund days");
    await userEvent.selectOptions(screen.getByLabelText("Mode"), "keyword");
    await userEvent.clear(screen.getByLabelText("Top K"));
    await userEvent.type(screen.getByLabelText("Top K"), "3");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    const results = await screen.findAllByTestId("query-result");
    expect(sent).toEqual({ query: "refund days", mode: "keyword", top_k: 3, rerank: false });
    expect(results).toHaveLength(2);
    const first = within(results[0]!);
    expect(first.getByText("#1")).toBeTruthy();
    expect(first.getByText("refunds.md")).toBeTruthy();
    expect(first.getByText("p. 2")).toBeTruthy();
    expect(first.getByText("§ Refund policy")).toBeTruthy();
    expect(first.getByText("score 0.0325")).toBeTruthy();
    expect([...results[0]!.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["Refund", "days"]);
  });
});
