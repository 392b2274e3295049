/** Knowledge bases: CRUD, documents (upload with progress, URL, reindex, delete) and the test query (docs/knowledge.md). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { Permission } from "@/api/auth";
import { http, upload } from "@/api/http";

// Hand-written from the contract in the knowledge-base issue until the routes are on main; then these become
// aliases of the generated Schemas["…"].
export type ChunkStrategy = "recursive" | "structure";
export type DocumentStatus = "queued" | "processing" | "ready" | "failed";
export type QueryMode = "vector" | "keyword" | "hybrid";

export interface KnowledgeBase {
  id: string;
  name: string;
  description: string;
  embedding_model: string;
  dimensions: number | null;
  chunk_size: number;
  chunk_overlap: number;
  chunk_strategy: ChunkStrategy;
  document_count: number;
  chunk_count: number;
  bytes_used: number;
  created_at: string;
  updated_at: string;
}

export interface KnowledgeBaseCreate {
  name: string;
  description?: string;
  embedding_model?: string | null;
  chunk_size?: number;
  chunk_overlap?: number;
  chunk_strategy?: ChunkStrategy;
}

export interface KnowledgeDocument {
  id: string;
  name: string;
  kind: string | null;
  source: "upload" | "url";
  source_url: string | null;
  status: DocumentStatus;
  error: string | null;
  pages: number | null;
  chunks: number;
  bytes: number;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface QueryRequest {
  query: string;
  top_k?: number;
  mode?: QueryMode;
}

export interface RetrievedChunk {
  content: string;
  score: number;
  document_id: string;
  document_name: string;
  page: number | null;
  heading: string | null;
  metadata: Record<string, unknown>;
}

export interface QueryResponse {
  chunks: RetrievedChunk[];
}

export const QUERY_MODES: QueryMode[] = ["hybrid", "vector", "keyword"];
export const CHUNK_STRATEGIES: ChunkStrategy[] = ["recursive", "structure"];
/** Statuses that will still change: the document list polls while any document has one. */
export const BUSY_STATUSES: ReadonlySet<DocumentStatus> = new Set(["queued", "processing"]);
const POLL_MS = 1500;
// The API's page limit: a knowledge base with more documents lists its newest 200.
const PAGE_LIMIT = 200;

export const knowledgeKeys = {
  all: ["knowledge"] as const,
  list: ["knowledge", "list"] as const,
  detail: (id: string) => ["knowledge", "detail", id] as const,
  documents: (id: string) => ["knowledge", "documents", id] as const,
};

export const knowledgeApi = {
  list: () => http.get<Page<KnowledgeBase>>("/knowledge-bases", { query: { limit: PAGE_LIMIT } }),
  get: (id: string) => http.get<KnowledgeBase>(`/knowledge-bases/${id}`),
  create: (body: KnowledgeBaseCreate) => http.post<KnowledgeBase>("/knowledge-bases", body),
  remove: (id: string) => http.delete(`/knowledge-bases/${id}`),
  documents: (id: string) =>
    http.get<Page<KnowledgeDocument>>(`/knowledge-bases/${id}/documents`, { query: { limit: PAGE_LIMIT } }),
  /** One file per request, so each file has its own progress and its own 413/415 answer. */
  uploadFile: (id: string, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal) => {
    const form = new FormData();
    form.append("files", file, file.name);
    return upload<{ documents: KnowledgeDocument[] }>(`/knowledge-bases/${id}/documents`, form, { onProgress, signal });
  },
  addUrl: (id: string, url: string) => http.post<KnowledgeDocument>(`/knowledge-bases/${id}/documents/url`, { url }),
  reindex: (id: string, documentId: string) =>
    http.post<KnowledgeDocument>(`/knowledge-bases/${id}/documents/${documentId}/reindex`),
  removeDocument: (id: string, documentId: string) => http.delete(`/knowledge-bases/${id}/documents/${documentId}`),
  query: (id: string, body: QueryRequest) => http.post<QueryResponse>(`/knowledge-bases/${id}/query`, body),
};

/** Editors manage knowledge bases; viewers list and query them. */
export const KNOWLEDGE_WRITE: Permission = "agents:write";

export function useKnowledgeBases() {
  return useQuery({ queryKey: knowledgeKeys.list, queryFn: knowledgeApi.list });
}

/** `busy`: documents are still being ingested, so the counts are moving; refresh them with the list. */
export function useKnowledgeBase(id: string, busy = false) {
  return useQuery({
    queryKey: knowledgeKeys.detail(id),
    queryFn: () => knowledgeApi.get(id),
    refetchInterval: busy ? POLL_MS : false,
  });
}

/** Polls while any document is queued or processing, and stops once all are ready or failed. */
export function useDocuments(id: string) {
  return useQuery({
    queryKey: knowledgeKeys.documents(id),
    queryFn: () => knowledgeApi.documents(id),
    refetchInterval: (query) =>
      query.state.data?.items.some((doc) => BUSY_STATUSES.has(doc.status)) ? POLL_MS : false,
  });
}

export function useCreateKnowledgeBase() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: knowledgeApi.create,
    onSuccess: () => client.invalidateQueries({ queryKey: knowledgeKeys.list }),
  });
}

export function useDeleteKnowledgeBase() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: knowledgeApi.remove,
    onSuccess: (_result, id) => {
      client.removeQueries({ queryKey: knowledgeKeys.detail(id) });
      client.removeQueries({ queryKey: knowledgeKeys.documents(id) });
      return client.invalidateQueries({ queryKey: knowledgeKeys.list });
    },
  });
}

/** A document change moves the knowledge base's counts too: refresh its documents, its detail and the list. */
export function useInvalidateKnowledgeBase(id: string): () => Promise<void> {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: knowledgeKeys.documents(id) }),
      client.invalidateQueries({ queryKey: knowledgeKeys.detail(id) }),
      client.invalidateQueries({ queryKey: knowledgeKeys.list }),
    ]).then(() => undefined);
}

function useDocumentMutation<TArgs, TResult>(id: string, fn: (args: TArgs) => Promise<TResult>) {
  const invalidate = useInvalidateKnowledgeBase(id);
  return useMutation({ mutationFn: fn, onSuccess: invalidate });
}

export const useAddUrl = (id: string) => useDocumentMutation(id, (url: string) => knowledgeApi.addUrl(id, url));
export const useReindexDocument = (id: string) =>
  useDocumentMutation(id, (documentId: string) => knowledgeApi.reindex(id, documentId));
export const useDeleteDocument = (id: string) =>
  useDocumentMutation(id, (documentId: string) => knowledgeApi.removeDocument(id, documentId));

export function useTestQuery(id: string) {
  return useMutation({ mutationFn: (body: QueryRequest) => knowledgeApi.query(id, body) });
}
