/** The agent definition document (shared AGENT_DEFINITION.md): what the builder edits and the API stores. */

export type NodeType =
  | "trigger"
  | "ai"
  | "action.http"
  | "action.webhook"
  | "action.integration"
  | "logic.if"
  | "logic.switch"
  | "logic.loop"
  | "logic.delay"
  | "human.approval"
  | "knowledge.retrieve";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface RetryPolicy {
  max_retries?: number;
  backoff_seconds?: number;
}

export interface DefinitionNode {
  id: string;
  type: NodeType;
  name?: string;
  config: JsonObject;
  retry?: RetryPolicy | null;
  timeout_seconds?: number | null;
  position?: { x: number; y: number } | null;
}

export interface DefinitionEdge {
  source: string;
  target: string;
  source_handle?: string | null;
}

export interface AgentDefinition {
  nodes: DefinitionNode[];
  edges: DefinitionEdge[];
  settings?: JsonObject;
}

export const DEFAULT_HANDLE = "default";

/** One entry of `GET /schemas/node-types`: the palette, the handles and the config form come from it. */
export interface NodeTypeInfo {
  type: NodeType;
  label: string;
  category: "trigger" | "ai" | "action" | "logic" | "human" | "knowledge";
  description: string;
  handles: string[];
  dynamic_handles: boolean;
  config_schema: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  examples?: unknown[];
  "x-templated"?: boolean;
}
