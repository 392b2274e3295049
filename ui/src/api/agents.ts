/** Agents: list, CRUD with optimistic concurrency, publish, versions and diffs, variables (docs/api.md). */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { AgentDefinition, NodeTypeInfo } from "@/api/definition";
import { http, request, type Schemas } from "@/api/http";
import type { operations } from "@/api/schema";

type AgentListQuery = NonNullable<operations["list_agents_api_v1_agents_get"]["parameters"]["query"]>;

export type AgentStatus = Schemas["AgentStatus"];
export type TriggerType = NonNullable<AgentListQuery["trigger_type"]>;
export type AgentSummary = Schemas["AgentSummary"];
export type AgentPage = Schemas["PageOf_AgentSummary_"];
export type ValidationIssue = Schemas["Issue"];
export type ValidationReport = Schemas["ValidationReport"];
export type VersionSummary = Schemas["VersionSummary"];
export type VersionDiff = Schemas["VersionDiff"];
export type Variable = Schemas["Variable"];
// The OpenAPI document leaves definitions free-form ({[key: string]: unknown}); AgentDefinition is their shape.
export type AgentDetail = Omit<Schemas["AgentDetail"], "draft"> & { draft: AgentDefinition };
export type AgentCreate = Omit<Schemas["AgentCreate"], "definition"> & { definition?: AgentDefinition | null };
export type AgentUpdate = Omit<Schemas["AgentUpdate"], "definition"> & { definition?: AgentDefinition | null };
export type Version = Omit<Schemas["VersionPublic"], "definition"> & { definition: AgentDefinition };

export interface AgentFilters {
  q?: string;
  status?: AgentStatus;
  trigger_type?: TriggerType;
  tag?: string;
  team_id?: string;
}

export const agentKeys = {
  all: ["agents"] as const,
  list: (filters: AgentFilters) => ["agents", "list", filters] as const,
  detail: (id: string) => ["agents", "detail", id] as const,
  name: (id: string) => ["agents", "name", id] as const,
  versions: (id: string) => ["agents", id, "versions"] as const,
  version: (id: string, n: number) => ["agents", id, "versions", n] as const,
  diff: (id: string, a: number, b: number) => ["agents", id, "diff", a, b] as const,
  variables: (id: string, node: string, revision: number) => ["agents", id, "variables", node, revision] as const,
  nodeTypes: ["schemas", "node-types"] as const,
};

/** `"<revision>"` as sent in ETag / If-Match. */
export const etagFor = (revision: number): string => `"${revision}"`;
export const revisionFrom = (etag: string | null): number | null => {
  const match = etag?.match(/^(?:W\/)?"?(\d+)"?$/);
  return match ? Number(match[1]) : null;
};

export const agentsApi = {
  list: (filters: AgentFilters, cursor?: string | null) =>
    http.get<AgentPage>("/agents", { query: { ...filters, cursor, limit: 50 } }),
  create: (body: AgentCreate) => http.post<AgentDetail>("/agents", body),
  get: async (id: string): Promise<AgentDetail> => {
    const { data, headers } = await request<AgentDetail>("GET", `/agents/${id}`);
    return { ...data, draft_revision: revisionFrom(headers.get("ETag")) ?? data.draft_revision };
  },
  /** PUT with If-Match; a 409 `edit_conflict` means someone else saved first. */
  update: async (id: string, body: AgentUpdate, revision: number): Promise<AgentDetail> => {
    const { data, headers } = await request<AgentDetail>("PUT", `/agents/${id}`, {
      body,
      headers: { "If-Match": etagFor(revision) },
    });
    return { ...data, draft_revision: revisionFrom(headers.get("ETag")) ?? data.draft_revision };
  },
  archive: (id: string) => http.delete(`/agents/${id}`),
  setStatus: (id: string, status: AgentStatus) =>
    http.put<AgentSummary>(`/agents/${id}/status`, { status } satisfies Schemas["AgentStatusChange"]),
  /** A new webhook URL; the previous one stops working at once. */
  rotateWebhook: (id: string) => http.post<AgentSummary>(`/agents/${id}/webhook/rotate`),
  publish: (id: string, message: string) =>
    http.post<Version>(`/agents/${id}/publish`, { message } satisfies Schemas["PublishRequest"]),
  /** Newest first; 200 is the API's page limit (an agent with more versions shows its latest 200). */
  versions: (id: string) => http.get<Schemas["PageOf_VersionSummary_"]>(`/agents/${id}/versions`, { query: { limit: 200 } }),
  version: (id: string, n: number) => http.get<Version>(`/agents/${id}/versions/${n}`),
  /** Publishes version n's definition again as a new version (N+1), which also becomes the draft. */
  rollback: (id: string, n: number) =>
    http.post<Version>(`/agents/${id}/versions/${n}/rollback`, {} satisfies Schemas["RollbackRequest"]),
  diff: (id: string, a: number, b: number) => http.get<VersionDiff>(`/agents/${id}/versions/${a}/diff/${b}`),
  duplicate: (id: string) => http.post<AgentDetail>(`/agents/${id}/duplicate`, {} satisfies Schemas["DuplicateRequest"]),
  variables: (id: string, node: string) =>
    http.get<Schemas["AgentVariables"]>(`/agents/${id}/variables`, { query: { node } }).then((body) => body.variables),
  nodeTypes: () => http.get<NodeTypeInfo[]>("/schemas/node-types"),
};

export function useAgents(filters: AgentFilters) {
  return useInfiniteQuery({
    queryKey: agentKeys.list(filters),
    queryFn: ({ pageParam }) => agentsApi.list(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
    placeholderData: keepPreviousData,
  });
}

export function useAgent(id: string) {
  return useQuery({ queryKey: agentKeys.detail(id), queryFn: () => agentsApi.get(id), staleTime: Infinity });
}

export function useNodeTypes() {
  return useQuery({ queryKey: agentKeys.nodeTypes, queryFn: agentsApi.nodeTypes, staleTime: Infinity });
}

export function useVariables(agentId: string, nodeId: string | null, revision: number) {
  return useQuery({
    queryKey: agentKeys.variables(agentId, nodeId ?? "", revision),
    queryFn: () => agentsApi.variables(agentId, nodeId ?? ""),
    enabled: nodeId !== null,
    placeholderData: keepPreviousData,
  });
}

/** Published versions, newest first. */
export function useVersions(agentId: string) {
  return useQuery({
    queryKey: agentKeys.versions(agentId),
    queryFn: async () => (await agentsApi.versions(agentId)).items,
  });
}

export function useVersionDiff(agentId: string, a: number | null, b: number | null) {
  return useQuery({
    queryKey: agentKeys.diff(agentId, a ?? 0, b ?? 0),
    queryFn: () => agentsApi.diff(agentId, a ?? 0, b ?? 0),
    enabled: a !== null && b !== null && a !== b,
  });
}

export function useVersion(agentId: string, n: number | null) {
  return useQuery({
    queryKey: agentKeys.version(agentId, n ?? 0),
    queryFn: () => agentsApi.version(agentId, n ?? 0),
    enabled: n !== null,
    staleTime: Infinity,
  });
}

/** Mutations that change an agent's list entry refresh every agents query. */
function useAgentMutation<TArgs, TResult>(fn: (args: TArgs) => Promise<TResult>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: agentKeys.all }),
  });
}

/** Only the URL changes: the cached detail keeps its draft and revision (the builder may be open on it). */
export function useRotateWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => agentsApi.rotateWebhook(id),
    onSuccess: (summary) => {
      client.setQueryData<AgentDetail>(agentKeys.detail(summary.id), (detail) => (detail ? { ...detail, webhook_url: summary.webhook_url } : detail));
      return client.invalidateQueries({ queryKey: ["agents", "list"] });
    },
  });
}
export const useCreateAgent = () => useAgentMutation((body: AgentCreate) => agentsApi.create(body));
export const useArchiveAgent = () => useAgentMutation((id: string) => agentsApi.archive(id));
export const useDuplicateAgent = () => useAgentMutation((id: string) => agentsApi.duplicate(id));
export const useSetAgentStatus = () =>
  useAgentMutation(({ id, status }: { id: string; status: AgentStatus }) => agentsApi.setStatus(id, status));
export const usePublish = () =>
  useAgentMutation(({ id, message }: { id: string; message: string }) => agentsApi.publish(id, message));
/**
 * A rollback rewrites the draft: drop the cached detail so the builder opens on the new draft and revision
 * (a stale copy would be shown first, and its revision would make the next autosave a conflict).
 */
export function useRollback() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, version }: { id: string; version: number }) => agentsApi.rollback(id, version),
    onSuccess: (_version, { id }) => {
      client.removeQueries({ queryKey: agentKeys.detail(id) });
      return client.invalidateQueries({ queryKey: agentKeys.all });
    },
  });
}
