/** Agents (issue 4's contract): list, CRUD with optimistic concurrency, publish, versions, variables. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type {
  AgentCreate,
  AgentDetail,
  AgentStatus,
  AgentSummary,
  AgentUpdate,
  AgentVersion,
  DefinitionDiff,
  Page,
  Variable,
} from "@/api/contracts";
import type { NodeTypeInfo } from "@/api/definition";
import { http, request } from "@/api/http";

export interface AgentFilters {
  q?: string;
  status?: AgentStatus | "";
  trigger_type?: string;
  tag?: string;
  team_id?: string;
}

export const agentKeys = {
  all: ["agents"] as const,
  list: (filters: AgentFilters) => ["agents", "list", filters] as const,
  detail: (id: string) => ["agents", "detail", id] as const,
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
    http.get<Page<AgentSummary>>("/agents", { query: { ...filters, cursor, limit: 50 } }),
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
  setStatus: (id: string, status: AgentStatus) => http.put<AgentSummary>(`/agents/${id}/status`, { status }),
  publish: (id: string, message: string) => http.post<AgentVersion>(`/agents/${id}/publish`, { message }),
  versions: (id: string) => http.get<Page<AgentVersion> | AgentVersion[]>(`/agents/${id}/versions`),
  version: (id: string, n: number) => http.get<AgentVersion>(`/agents/${id}/versions/${n}`),
  rollback: (id: string, n: number) => http.post<AgentDetail>(`/agents/${id}/versions/${n}/rollback`),
  diff: (id: string, a: number, b: number) => http.get<DefinitionDiff>(`/agents/${id}/versions/${a}/diff/${b}`),
  duplicate: (id: string) => http.post<AgentDetail>(`/agents/${id}/duplicate`),
  variables: (id: string, node: string) =>
    http
      .get<{ node_id: string; variables: Variable[] }>(`/agents/${id}/variables`, { query: { node } })
      .then((body) => body.variables),
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

/** The versions endpoint may page (`{items}`) or not; the UI wants the list, newest first. */
export function useVersions(agentId: string) {
  return useQuery({
    queryKey: agentKeys.versions(agentId),
    queryFn: async () => {
      const body = await agentsApi.versions(agentId);
      const items = Array.isArray(body) ? body : body.items;
      return [...items].sort((a, b) => b.version - a.version);
    },
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

export const useCreateAgent = () => useAgentMutation((body: AgentCreate) => agentsApi.create(body));
export const useArchiveAgent = () => useAgentMutation((id: string) => agentsApi.archive(id));
export const useDuplicateAgent = () => useAgentMutation((id: string) => agentsApi.duplicate(id));
export const useSetAgentStatus = () =>
  useAgentMutation(({ id, status }: { id: string; status: AgentStatus }) => agentsApi.setStatus(id, status));
export const usePublish = () =>
  useAgentMutation(({ id, message }: { id: string; message: string }) => agentsApi.publish(id, message));
export const useRollback = () =>
  useAgentMutation(({ id, version }: { id: string; version: number }) => agentsApi.rollback(id, version));
