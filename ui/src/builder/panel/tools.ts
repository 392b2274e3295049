/**
 * The AI node's tools (docs/agent-definition.md): plain function specs, whose calls are returned, and tools the
 * engine runs — `{type: "integration", connection_id, action}`, `{type: "knowledge", knowledge_base_id}`,
 * `{type: "agent", agent_id}`, `{type: "mcp", connection_id, tool}`, `{type: "http", name, url, …}`.
 * Names are what the model calls, unique within a node; `toolName` mirrors the engine's default naming.
 */
import type { JsonObject } from "@/api/definition";

export const TOOL_KINDS = ["integration", "knowledge", "agent", "mcp", "http", "function"] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

export const TOOL_KIND_LABELS: Record<ToolKind, string> = {
  integration: "Integration action",
  knowledge: "Knowledge base",
  agent: "Another agent",
  mcp: "MCP server tool",
  http: "HTTP request",
  function: "Function (returned, not run)",
};

/** The engine's bound: 32 tools per node. */
export const MAX_TOOLS = 32;
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export const kindOf = (tool: JsonObject): ToolKind => {
  const kind = tool.type ?? "function";
  return (TOOL_KINDS as readonly unknown[]).includes(kind) ? (kind as ToolKind) : "function";
};

const slug = (text: string): string => (text.replace(/[^a-zA-Z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "tool").slice(0, 64);
const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** The name the model sees: the tool's own `name`, else one derived from what it points at. */
export function toolName(tool: JsonObject): string {
  if (text(tool.name)) return text(tool.name);
  switch (kindOf(tool)) {
    case "integration":
      return slug(text(tool.action));
    case "mcp":
      return slug(text(tool.tool));
    case "knowledge":
      return slug(`search_${text(tool.knowledge_base_id)}`);
    case "agent":
      return slug(`agent_${text(tool.agent_id)}`);
    default:
      return "tool";
  }
}

/** Adds `tool`, naming it explicitly when its default name is taken (two connections with a `send_message`). */
export function withTool(tools: JsonObject[], tool: JsonObject): JsonObject[] {
  const taken = new Set(tools.map(toolName));
  const base = toolName(tool);
  if (!taken.has(base)) return [...tools, tool];
  let n = 2;
  while (taken.has(`${base.slice(0, 60)}_${n}`)) n++;
  return [...tools, { ...tool, name: `${base.slice(0, 60)}_${n}` }];
}

/** Removes the tool at `index` and its name from `require_approval_for` (the engine refuses unknown names). */
export function withoutTool(config: JsonObject, index: number): JsonObject {
  const tools = toolsOf(config);
  const removed = tools[index];
  const next: JsonObject = { ...config, tools: tools.filter((_, i) => i !== index) };
  if (removed && Array.isArray(config.require_approval_for)) {
    const name = toolName(removed);
    next.require_approval_for = config.require_approval_for.filter((item) => item !== name);
  }
  return next;
}

export const toolsOf = (config: JsonObject): JsonObject[] =>
  Array.isArray(config.tools) ? config.tools.filter((tool): tool is JsonObject => typeof tool === "object" && tool !== null && !Array.isArray(tool)) : [];

export const approvalsOf = (config: JsonObject): string[] =>
  Array.isArray(config.require_approval_for) ? config.require_approval_for.filter((name): name is string => typeof name === "string") : [];
