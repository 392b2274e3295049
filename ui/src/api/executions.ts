/** Executions (issue 5's contract): list, detail, steps, cancel, approve, test runs and the live stream. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { Execution, ExecutionStatus, ExecutionStep, Page, StreamEvent } from "@/api/contracts";
import type { AgentDefinition, JsonValue } from "@/api/definition";
import { API_BASE, http, session } from "@/api/http";

export interface ExecutionFilters {
  agent_id?: string;
  status?: ExecutionStatus | "";
  triggered_by?: string;
  from?: string;
  to?: string;
}

export const executionKeys = {
  all: ["executions"] as const,
  list: (filters: ExecutionFilters) => ["executions", "list", filters] as const,
  detail: (id: string) => ["executions", id] as const,
  steps: (id: string) => ["executions", id, "steps"] as const,
};

const ACTIVE: ReadonlySet<ExecutionStatus> = new Set(["pending", "running", "paused"]);
export const isActive = (status: ExecutionStatus): boolean => ACTIVE.has(status);

export const executionsApi = {
  list: (filters: ExecutionFilters, cursor?: string | null) =>
    http.get<Page<Execution>>("/executions", { query: { ...filters, cursor, limit: 50 } }),
  get: (id: string) => http.get<Execution>(`/executions/${id}`),
  steps: async (id: string) => {
    const body = await http.get<ExecutionStep[] | Page<ExecutionStep>>(`/executions/${id}/steps`);
    return Array.isArray(body) ? body : body.items;
  },
  cancel: (id: string) => http.post<Execution>(`/executions/${id}/cancel`),
  approve: (id: string, approved: boolean, comment: string) =>
    http.post<Execution>(`/executions/${id}/approve`, { approved, comment }),
  test: (agentId: string, input: JsonValue, definition?: AgentDefinition) =>
    http.post<{ id: string; status: ExecutionStatus }>(`/agents/${agentId}/test`, { input, definition }),
};

/** Running executions are polled every few seconds so their rows stay live. */
export function useExecutions(filters: ExecutionFilters) {
  return useQuery({
    queryKey: executionKeys.list(filters),
    queryFn: () => executionsApi.list(filters),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((e) => isActive(e.status)) ? 3000 : false),
  });
}

export function useExecution(id: string) {
  return useQuery({
    queryKey: executionKeys.detail(id),
    queryFn: () => executionsApi.get(id),
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 3000 : false),
  });
}

export function useExecutionSteps(id: string, live: boolean) {
  return useQuery({
    queryKey: executionKeys.steps(id),
    queryFn: () => executionsApi.steps(id),
    refetchInterval: live ? 3000 : false,
  });
}

export function useApprove() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, approved, comment }: { id: string; approved: boolean; comment: string }) =>
      executionsApi.approve(id, approved, comment),
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}

export function useCancelExecution() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => executionsApi.cancel(id),
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}

/** `ws(s)://<host>/api/v1/executions/{id}/stream?token=…`; the server replays past events on connect. */
export function streamUrl(executionId: string, base: string = window.location.href): string {
  const url = new URL(`${API_BASE}/executions/${executionId}/stream`, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", session.token ?? "");
  return url.toString();
}

/** Open the execution's event stream; returns a function that closes it. */
export function openStream(
  executionId: string,
  onEvent: (event: StreamEvent) => void,
  onClose?: (clean: boolean) => void,
): () => void {
  const socket = new WebSocket(streamUrl(executionId));
  socket.onmessage = (message) => {
    try {
      onEvent(JSON.parse(String(message.data)) as StreamEvent);
    } catch {
      // A frame that is not an event (keep-alive text) is ignored.
    }
  };
  socket.onclose = (event) => onClose?.(event.wasClean);
  return () => socket.close();
}
