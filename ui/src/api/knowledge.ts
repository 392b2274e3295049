/** Knowledge bases: CRUD, documents (upload with progress, URL, reindex, delete) and the test query (docs/knowledge.md). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { Permission } from "@/api/auth";
import { http, upload, type Schemas } from "@/api/http";

export type KnowledgeBase = Schemas["KnowledgeBasePublic"];
export type KnowledgeBaseCreate = Schemas["KnowledgeBaseCreate"];
export type KnowledgeDocument = Schemas["DocumentPublic"];
export type DocumentStatus = KnowledgeDocument["status"];
export type ChunkStrategy = KnowledgeBaseCreate["chunk_strategy"];
export type QueryRequest = Schemas["QueryRequest"];
export type QueryMode = QueryRequest["mode"];
export type RetrievedChunk = Schemas["ChunkHit"];
export type QueryResponse = Schemas["QueryAnswer"];

// Records, so a mode or strategy the API adds fails the typecheck until the forms offer it.
export const QUERY_MODES = Object.keys({ hybrid: 1, vector: 1, keyword: 1 } satisfies Record<QueryMode, 1>) as QueryMode[];
export const CHUNK_STRATEGIES = Object.keys({ recursive: 1, structure: 1 } satisfies Record<ChunkStrategy, 1>) as ChunkStrategy[];
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
  list: () => http.get<Schemas["PageOf_KnowledgeBasePublic_"]>("/knowledge-bases", { query: { limit: PAGE_LIMIT } }),
  get: (id: string) => http.get<KnowledgeBase>(`/knowledge-bases/${id}`),
  create: (body: KnowledgeBaseCreate) => http.post<KnowledgeBase>("/knowledge-bases", body),
  remove: (id: string) => http.delete(`/knowledge-bases/${id}`),
  documents: (id: string) =>
    http.get<Schemas["PageOf_DocumentPublic_"]>(`/knowledge-bases/${id}/documents`, { query: { limit: PAGE_LIMIT } }),
  /** One file per request, so each file has its own progress and its own 413/415 answer. */
  uploadFile: (id: string, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal) => {
    const form = new FormData();
    form.append("files", file, file.name);
    return upload<Schemas["DocumentsCreated"]>(`/knowledge-bases/${id}/documents`, form, { onProgress, signal });
  },
  addUrl: (id: string, url: string) => http.post<KnowledgeDocument>(`/knowledge-bases/${id}/documents/url`, { url } satisfies Schemas["DocumentFromURL"]),
  reindex: (id: string, documentId: string) =>
    http.post<KnowledgeDocument>(`/knowledge-bases/${id}/documents/${documentId}/reindex`),
  removeDocument: (id: string, documentId: string) => http.delete(`/knowledge-bases/${id}/documents/${documentId}`),
  query: (id: string, body: QueryRequest) => http.post<QueryResponse>(`/knowledge-bases/${id}/query`, body),
};

/** Editors manage knowledge bases; viewers list and query them. */
export const KNOWLEDGE_WRITE: Permission = "knowledge:write";

export function useKnowledgeBases(enabled = true) {
  return useQuery({ queryKey: knowledgeKeys.list, queryFn: knowledgeApi.list, enabled });
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
