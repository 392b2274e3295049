/** Knowledge bases and documents as the API sends them (typed with the API's types: a drift fails the typecheck). */
import type { KnowledgeBase, KnowledgeDocument } from "@/api/knowledge";

export function knowledgeBase(overrides: Partial<KnowledgeBase> = {}): KnowledgeBase {
  return {
    id: "kb-1",
    name: "Support handbook",
    description: "Refunds, shipping and returns",
    embedding_model: "local/multilingual-e5-small",
    dimensions: 384,
    chunk_size: 512,
    chunk_overlap: 64,
    chunk_strategy: "recursive",
    document_count: 2,
    chunk_count: 14,
    bytes_used: 52_000,
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-01T10:00:00Z",
    ...overrides,
  };
}

export function knowledgeDocument(overrides: Partial<KnowledgeDocument> = {}): KnowledgeDocument {
  return {
    id: "doc-1",
    name: "refunds.md",
    kind: "markdown",
    source: "upload",
    source_url: null,
    status: "ready",
    error: null,
    pages: null,
    chunks: 7,
    bytes: 2048,
    tokens: 0,
    cost_usd: "0",
    created_at: new Date(Date.now() - 60_000).toISOString(),
    updated_at: new Date(Date.now() - 60_000).toISOString(),
    ...overrides,
  };
}
