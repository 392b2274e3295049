/** Node ids: `[a-z][a-z0-9_]*`, unique, never a reserved reference root (mirrors agentflow/graph). */
import type { NodeType } from "@/api/definition";

export const NODE_ID_PATTERN = /^[a-z][a-z0-9_]*$/;

export const RESERVED_NODE_IDS: ReadonlySet<string> = new Set([
  "and", "caller", "cycler", "dict", "else", "env", "execution", "false", "if", "in", "is", "joiner", "kwargs",
  "lipsum", "loop", "namespace", "none", "not", "or", "range", "self", "trigger", "true", "varargs",
]);

const BASE_IDS: Record<NodeType, string> = {
  trigger: "start",
  ai: "ai",
  "action.http": "http",
  "action.webhook": "webhook",
  "action.integration": "integration",
  "logic.if": "condition",
  "logic.switch": "switch",
  "logic.loop": "for_each",
  "logic.delay": "delay",
  "human.approval": "approval",
  "knowledge.retrieve": "retrieve",
};

/** The first free id for a new node of this type: `ai`, `ai_2`, `ai_3`, … */
export function nextNodeId(type: NodeType, taken: ReadonlySet<string>, base: string = BASE_IDS[type]): string {
  if (!taken.has(base) && !RESERVED_NODE_IDS.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Why an id cannot be used, or null when it can. */
export function nodeIdProblem(id: string, taken: ReadonlySet<string>): string | null {
  if (!NODE_ID_PATTERN.test(id)) return "Use lower-case letters, digits and _, starting with a letter.";
  if (id.length > 64) return "At most 64 characters.";
  if (RESERVED_NODE_IDS.has(id)) return `“${id}” is reserved in references.`;
  if (taken.has(id)) return "Another node has this id.";
  return null;
}
