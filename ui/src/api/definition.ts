/**
 * The agent definition document (docs/agent-definition.md): what the builder edits and the API stores.
 * The API's OpenAPI document leaves definitions free-form (`{[key: string]: unknown}`), so their shape is
 * typed here; the node types and the palette entry come from the generated schema.
 */
import type { components } from "@/api/schema";

export type NodeType = components["schemas"]["NodeTypeInfo"]["type"];

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
export type NodeTypeInfo = Omit<components["schemas"]["NodeTypeInfo"], "config_schema"> & { config_schema: JsonSchema };

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
