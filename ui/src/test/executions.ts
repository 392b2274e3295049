/** Executions as the API sends them (generated types: a shape drift fails the typecheck). */
import type { Execution, Step } from "@/api/executions";

export function execution(overrides: Partial<Execution> = {}): Execution {
  return {
    id: "exec-1",
    agent_id: "agent-1",
    version_id: "version-3",
    status: "completed",
    triggered_by: "api",
    triggered_by_user: null,
    input: { text: "The export button crashes" },
    output: { label: "bug" },
    error: null,
    failed_node: null,
    waiting_for: null,
    started_at: "2026-03-01T10:00:00Z",
    finished_at: "2026-03-01T10:00:02Z",
    duration_ms: 2150,
    total_tokens: 812,
    total_cost_usd: 0.0042,
    attempt: 1,
    prefect_flow_run_id: "3f0c2a9e-0000-4000-8000-000000000001",
    lane: "standard",
    created_at: "2026-03-01T10:00:00Z",
    ...overrides,
  };
}

export function step(nodeId: string, overrides: Partial<Step> = {}): Step {
  return {
    step_key: nodeId,
    node_id: nodeId,
    node_type: "ai",
    name: nodeId,
    attempt: 1,
    status: "completed",
    input: { prompt: `run ${nodeId}` },
    output: { text: `done ${nodeId}` },
    error: null,
    started_at: "2026-03-01T10:00:00Z",
    finished_at: "2026-03-01T10:00:01Z",
    duration_ms: 1000,
    tokens: 400,
    cost_usd: 0.002,
    ...overrides,
  };
}
