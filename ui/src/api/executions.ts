/** Executions: list, detail, steps, cancel, approve, test runs and the live stream (docs/api.md). */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { Me } from "@/api/auth";
import type { StreamEvent, StreamMessage, WaitingFor } from "@/api/contracts";
import type { AgentDefinition, JsonValue } from "@/api/definition";
import { API_BASE, http, session, type Schemas } from "@/api/http";
import type { operations } from "@/api/schema";

export type Execution = Schemas["ExecutionPublic"];
export type ExecutionPage = Schemas["PageOf_ExecutionPublic_"];
export type ExecutionStatus = Schemas["ExecutionStatus"];
export type TriggeredBy = Schemas["TriggeredBy"];
export type ExecutionAccepted = Schemas["ExecutionAccepted"];
export type Step = Schemas["StepPublic"];
/** A test run's choice for one side-effecting node: preview (nothing sent), a sample response, or send. */
export type TestNodeOption = Schemas["TestNodeOption"];
export type StepStatus = Step["status"];
export type ExecutionFilters = Pick<
  NonNullable<operations["list_executions_api_v1_executions_get"]["parameters"]["query"]>,
  "agent_id" | "status" | "triggered_by" | "since" | "until"
>;

// Records, so a status the API adds fails the typecheck until the UI knows it.
const STATUS_ACTIVE: Record<ExecutionStatus, boolean> = {
  queued: true,
  running: true,
  paused: true,
  completed: false,
  failed: false,
  cancelled: false,
  timed_out: false,
};
const TRIGGERS: Record<TriggeredBy, true> = { manual: true, api: true, webhook: true, schedule: true, agent: true, test: true };
export const EXECUTION_STATUSES = Object.keys(STATUS_ACTIVE) as ExecutionStatus[];
export const TRIGGERED_BY = Object.keys(TRIGGERS) as TriggeredBy[];
export const isActive = (status: ExecutionStatus): boolean => STATUS_ACTIVE[status];

export const executionKeys = {
  all: ["executions"] as const,
  list: (filters: ExecutionFilters) => ["executions", "list", filters] as const,
  detail: (id: string) => ["executions", id] as const,
  steps: (id: string) => ["executions", id, "steps"] as const,
};

/** The pending approval of a paused execution (`waiting_for` is a free-form object in the OpenAPI document). */
export function pendingApproval(execution: Pick<Execution, "status" | "waiting_for">): WaitingFor | null {
  const waiting = execution.waiting_for as WaitingFor | null;
  return execution.status === "paused" && waiting?.node_id && !waiting.decision ? waiting : null;
}

/** Mirrors the API's rule: the node's approvers (user ids, `role:<role>` and above), else editors and above.
 * A custom role ranks by its permissions on the server; here it ranks below viewer (the API still decides). */
const ROLE_RANK: Record<string, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };
const rankOf = (role: string): number => ROLE_RANK[role] ?? -1;
export function mayApprove(me: Me | undefined, approvers: string[]): boolean {
  if (!me) return false;
  if (approvers.length === 0) return rankOf(me.role) >= rankOf("editor");
  return approvers.some((approver) => {
    if (!approver.startsWith("role:")) return approver === me.user.id;
    const wanted = approver.slice("role:".length);
    return wanted in ROLE_RANK && rankOf(me.role) >= rankOf(wanted);
  });
}

export const executionsApi = {
  list: (filters: ExecutionFilters, cursor?: string | null) =>
    http.get<ExecutionPage>("/executions", { query: { ...filters, cursor, limit: 50 } }),
  get: (id: string) => http.get<Execution>(`/executions/${id}`),
  steps: (id: string) => http.get<Step[]>(`/executions/${id}/steps`),
  cancel: (id: string) => http.post<Execution>(`/executions/${id}/cancel`),
  approve: (id: string, body: Schemas["ApproveRequest"]) => http.post<Execution>(`/executions/${id}/approve`, body),
  /** Runs the agent's published version for real with this input. */
  execute: (agentId: string, input: JsonValue) =>
    http.post<ExecutionAccepted>(`/agents/${agentId}/execute`, { input } satisfies Schemas["ExecuteRequest"]),
  /** `fromFailed`: the same execution again from its failed step (completed steps reused); else a new one. */
  retry: (id: string, fromFailed: boolean) =>
    http.post<ExecutionAccepted>(`/executions/${id}/retry`, { from_failed: fromFailed } satisfies Schemas["RetryRequest"]),
  /** Runs the draft, or `definition` (unsaved edits), with side-effecting actions previewed. */
  test: (agentId: string, input: JsonValue, definition?: AgentDefinition, nodes?: Record<string, TestNodeOption>) =>
    http.post<ExecutionAccepted>(`/agents/${agentId}/test`, { input, definition, ...(nodes && Object.keys(nodes).length ? { nodes } : {}) }),
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
    mutationFn: ({ id, ...decision }: { id: string } & Schemas["ApproveRequest"]) => executionsApi.approve(id, decision),
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}

export function useExecuteAgent() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ agentId, input }: { agentId: string; input: JsonValue }) => executionsApi.execute(agentId, input),
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}

export function useRetryExecution() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, fromFailed }: { id: string; fromFailed: boolean }) => executionsApi.retry(id, fromFailed),
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

/** Close codes: 1000 when the execution ended; 4401/4403/4404 when the server refused (or stopped) the stream. */
export const STREAM_ENDED = 1000;

/**
 * Open the execution's event stream; returns a function that closes it. `onClose` gets the close code and,
 * for a refusal, the server's message; it is not called when the caller closes the stream.
 */
export function openStream(
  executionId: string,
  onEvent: (event: StreamEvent) => void,
  onClose?: (code: number, message: string | null) => void,
): () => void {
  const socket = new WebSocket(streamUrl(executionId));
  let refusal: string | null = null;
  socket.onmessage = (message) => {
    let parsed: StreamMessage;
    try {
      parsed = JSON.parse(String(message.data)) as StreamMessage;
    } catch {
      return; // a frame that is not an event (keep-alive text) is ignored
    }
    if (parsed.type === "error") refusal = parsed.message;
    else onEvent(parsed);
  };
  socket.onclose = (event) => onClose?.(event.code, refusal);
  return () => {
    socket.onmessage = null;
    socket.onclose = null;
    // Closing a socket that is still connecting logs a browser error: close it once it opens instead.
    if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close();
    else socket.close();
  };
}
