/**
 * Side-effecting nodes in a test run: by default they only preview (describe the request, send nothing). The
 * person may give a node a sample response (merged into its preview output, so the nodes after it can read a
 * response) or have it really send. Sent as `nodes` of `POST /agents/{id}/test`.
 */
import type { JsonObject, JsonValue } from "@/api/definition";
import type { TestNodeOption } from "@/api/executions";
import type { BuilderNode } from "@/builder/types";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface SideEffectNode {
  id: string;
  name: string;
  nodeType: string;
}

/** The nodes a test run previews: HTTP requests that are not reads, webhooks, integration actions. */
export function sideEffectNodes(nodes: BuilderNode[]): SideEffectNode[] {
  return nodes
    .filter((node) => {
      const { nodeType, config } = node.data;
      if (nodeType === "action.http") return !READS.has(String(config.method ?? "GET").toUpperCase());
      return nodeType === "action.webhook" || nodeType === "action.integration";
    })
    .map((node) => ({ id: node.id, name: node.data.name || node.id, nodeType: node.data.nodeType }));
}

/** What a response looks like for the node type, to edit into the sample the person wants. */
export function defaultSample(nodeType: string): JsonObject {
  switch (nodeType) {
    case "action.http":
      return { status: 200, headers: { "content-type": "application/json" }, body: {} };
    case "action.webhook":
      return { status: 200 };
    default:
      return {};
  }
}

/** One node's choice as the dialog holds it: the sample as typed text until the run. */
export interface NodeChoice {
  mode: TestNodeOption["mode"];
  sampleText: string;
}

/**
 * The `nodes` body for the test endpoint, or the node whose sample is not a JSON object (with a sentence).
 * Nodes left on preview are not sent: preview is the default.
 */
export function buildTestOptions(
  choices: Record<string, NodeChoice>,
  present: ReadonlySet<string>,
): { nodes: Record<string, TestNodeOption>; errors: Record<string, string> } {
  const nodes: Record<string, TestNodeOption> = {};
  const errors: Record<string, string> = {};
  for (const [id, choice] of Object.entries(choices)) {
    if (!present.has(id) || choice.mode === "preview") continue;
    if (choice.mode === "send") {
      nodes[id] = { mode: "send" };
      continue;
    }
    let sample: JsonValue;
    try {
      sample = JSON.parse(choice.sampleText) as JsonValue;
    } catch {
      errors[id] = "The sample response isn't valid JSON.";
      continue;
    }
    if (typeof sample !== "object" || sample === null || Array.isArray(sample)) {
      errors[id] = 'The sample response must be a JSON object, like {"status": 200, "body": {}}.';
      continue;
    }
    nodes[id] = { mode: "sample", sample };
  }
  return { nodes, errors };
}
