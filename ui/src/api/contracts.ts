/**
 * Response shapes of endpoints that other issues are building (agents: issue 4, executions: issue 5,
 * secrets). Written from their agreed contracts; once those routers are merged, `npm run gen:api` adds
 * them to schema.d.ts and these aliases should point there instead.
 */
import type { AgentDefinition, JsonValue, NodeType } from "@/api/definition";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type AgentStatus = "draft" | "active" | "paused" | "archived";

export interface AgentSummary {
  id: string;
  name: string;
  description: string | null;
  status: AgentStatus;
  trigger_type: string | null;
  tags: string[];
  team_id: string | null;
  current_version: number | null;
  last_run_at: string | null;
  success_rate: number | null;
  created_at: string;
  updated_at: string;
}

export interface ValidationIssue {
  code: string;
  message: string;
  node_id: string | null;
  field: string | null;
}

export interface ValidationReport {
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

export interface AgentDetail extends AgentSummary {
  draft: AgentDefinition;
  draft_revision: number;
  validation: ValidationReport;
}

export interface AgentCreate {
  name: string;
  description?: string;
  definition?: AgentDefinition;
  team_id?: string | null;
  tags?: string[];
}

export interface AgentUpdate {
  name?: string;
  description?: string;
  tags?: string[];
  team_id?: string | null;
  definition?: AgentDefinition;
}

export interface AgentVersion {
  id?: string;
  version: number;
  message: string | null;
  created_at: string;
  created_by?: string | null;
  definition?: AgentDefinition;
}

export interface NodeChange {
  node_id: string;
  fields: string[];
}

export interface DefinitionDiff {
  nodes_added: string[];
  nodes_removed: string[];
  nodes_changed: NodeChange[];
  /** The contract calls it `moved`; agentflow.graph's DefinitionDiff calls it `nodes_moved`. */
  moved?: string[];
  nodes_moved?: string[];
  edges_added: { source: string; target: string; source_handle?: string | null }[];
  edges_removed: { source: string; target: string; source_handle?: string | null }[];
  settings_changed: string[];
}

export interface Variable {
  node_id: string | null;
  node_type: NodeType | null;
  path: string;
  shape: string;
  root?: string;
  description?: string;
  template?: string;
}

export type ExecutionStatus =
  | "pending"
  | "running"
  | "paused"
  | "completed"
  | "failed"
  | "cancelled";

export interface Execution {
  id: string;
  agent_id: string;
  agent_name?: string | null;
  version?: number | null;
  status: ExecutionStatus;
  triggered_by: string;
  is_test?: boolean;
  input?: JsonValue;
  output?: JsonValue;
  error?: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  tokens?: number | null;
  cost_usd: number | null;
  created_at?: string;
  /** The node waiting for a human decision, when status is `paused`. */
  paused_node_id?: string | null;
}

export type StepStatus = "pending" | "running" | "completed" | "failed" | "skipped" | "paused";

export interface ExecutionStep {
  node_id: string;
  node_type: NodeType;
  name: string;
  attempt: number;
  status: StepStatus;
  input: JsonValue;
  output: JsonValue;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  tokens: number | null;
  cost_usd: number | null;
}

export type StreamEventType =
  | "step.started"
  | "step.completed"
  | "step.failed"
  | "step.skipped"
  | "execution.paused"
  | "execution.completed"
  | "execution.failed"
  | "execution.cancelled";

export interface StreamEvent {
  type: StreamEventType;
  node_id?: string | null;
  data?: Record<string, JsonValue> | null;
  at: string;
}

export interface Secret {
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}
