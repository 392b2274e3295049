/**
 * Fixtures in the API's wire format, typed with the generated types (a shape drift fails the typecheck);
 * the node-type catalog is generated from agentflow/graph (npm run gen:api).
 */
import type { AgentDetail, AgentSummary, Variable, Version, VersionSummary } from "@/api/agents";
import type { AgentDefinition, NodeTypeInfo } from "@/api/definition";
import catalogJson from "@/test/fixtures/node-types.json";

export const catalog = catalogJson as unknown as NodeTypeInfo[];

export const ticketDefinition: AgentDefinition = {
  nodes: [
    { id: "start", type: "trigger", name: "Incoming ticket", config: { kind: "webhook" }, position: { x: 0, y: 0 } },
    {
      id: "classify",
      type: "ai",
      name: "Classify",
      config: { operation: "classify", prompt: "Classify: {{start.output.body.text}}", labels: ["bug", "question"] },
      position: { x: 300, y: 0 },
    },
    {
      id: "is_bug",
      type: "logic.if",
      name: "Is it a bug?",
      config: { conditions: [{ left: "{{classify.output.label}}", op: "eq", right: "bug" }] },
      position: { x: 600, y: 0 },
    },
    {
      id: "file_bug",
      type: "action.http",
      name: "File in tracker",
      config: { method: "POST", url: "{{env.TRACKER_URL}}/issues" },
      position: { x: 900, y: 0 },
    },
  ],
  edges: [
    { source: "start", target: "classify" },
    { source: "classify", target: "is_bug" },
    { source: "is_bug", target: "file_bug", source_handle: "true" },
  ],
  settings: { timeout_seconds: 3600 },
};

export function agentSummary(overrides: Partial<AgentSummary> = {}): AgentSummary {
  return {
    id: "agent-1",
    name: "Ticket triage",
    description: "Classifies incoming tickets",
    status: "active",
    trigger_type: "webhook",
    tags: ["support"],
    team_id: null,
    restricted: false,
    current_version: 3,
    draft_revision: 7,
    archived_at: null,
    last_run_at: new Date(Date.now() - 3600_000).toISOString(),
    success_rate: 0.92,
    webhook_url: "http://127.0.0.1:8000/api/v1/hooks/whk_0123456789abcdef",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-02T00:00:00Z",
    ...overrides,
  };
}

export function versionSummary(number: number, overrides: Partial<VersionSummary> = {}): VersionSummary {
  return {
    number,
    message: `Version ${number}`,
    published_by: "u1",
    published_at: `2026-01-0${number}T00:00:00Z`,
    checksum: `${number}`.repeat(64),
    ...overrides,
  };
}

export function version(number: number, definition: AgentDefinition, overrides: Partial<Version> = {}): Version {
  return { ...versionSummary(number), agent_id: "agent-1", definition, ...overrides };
}

export function agentDetail(overrides: Partial<AgentDetail> = {}): AgentDetail {
  return {
    ...agentSummary(),
    draft: ticketDefinition,
    draft_revision: 7,
    current: versionSummary(3),
    publishable: true,
    validation: { errors: [], warnings: [] },
    created_by: "u1",
    updated_by: "u1",
    ...overrides,
  };
}

/** What `GET /agents/{id}/variables?node=file_bug` answers for the ticket agent. */
export const fileBugVariables: Variable[] = [
  { root: "start", node_id: "start", node_type: "trigger", path: "output.body", shape: "object", template: "{{start.output.body}}", description: "The request body" },
  { root: "classify", node_id: "classify", node_type: "ai", path: "output.label", shape: "string", template: "{{classify.output.label}}", description: "The chosen label" },
  { root: "classify", node_id: "classify", node_type: "ai", path: "output.confidence", shape: "number", template: "{{classify.output.confidence}}", description: "Confidence, 0 to 1" },
  { root: "env", node_id: null, node_type: null, path: "TRACKER_URL", shape: "string", template: "{{env.TRACKER_URL}}", description: "Org secret" },
  { root: "execution", node_id: null, node_type: null, path: "id", shape: "string", template: "{{execution.id}}", description: "This execution's id" },
];
