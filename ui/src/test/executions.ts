/** Engine-contract fixtures (issue 5): an execution paused at an approval, and its steps. */
import type { Execution, ExecutionStep } from "@/api/contracts";

export function execution(overrides: Partial<Execution> = {}): Execution {
  return {
    id: "exec-1",
    agent_id: "agent-1",
    agent_name: "Ticket triage",
    status: "completed",
    triggered_by: "api",
    started_at: "2026-03-01T10:00:00Z",
    finished_at: "2026-03-01T10:00:02Z",
    duration_ms: 2150,
    tokens: 812,
    cost_usd: 0.0042,
    ...overrides,
  };
}

export function step(nodeId: string, overrides: Partial<ExecutionStep> = {}): ExecutionStep {
  return {
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
