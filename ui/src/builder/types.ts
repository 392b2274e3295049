/** Builder node data: a discriminated union on `nodeType`; plain JSON, since it is what gets saved. */
import type { Edge, Node } from "@xyflow/react";

import type { JsonObject, NodeType, RetryPolicy } from "@/api/definition";

interface NodeDataOf<T extends NodeType, C extends JsonObject> {
  [key: string]: unknown;
  nodeType: T;
  name: string;
  config: C;
  retry?: RetryPolicy | null;
  timeout_seconds?: number | null;
}

export type TriggerConfig = JsonObject & { kind?: string; cron?: string | null };
export type AiConfig = JsonObject & { operation?: string; model?: string | null; prompt?: string };
export type SwitchConfig = JsonObject & { cases?: { name: string; equals: unknown }[] & JsonObject[] };

export type TriggerData = NodeDataOf<"trigger", TriggerConfig>;
export type AiData = NodeDataOf<"ai", AiConfig>;
export type SwitchData = NodeDataOf<"logic.switch", SwitchConfig>;
export type OtherData = NodeDataOf<Exclude<NodeType, "trigger" | "ai" | "logic.switch">, JsonObject>;

export type BuilderNodeData = TriggerData | AiData | SwitchData | OtherData;

export type BuilderNode = Node<BuilderNodeData, NodeType>;
export type BuilderEdge = Edge<{ handle: string }>;
