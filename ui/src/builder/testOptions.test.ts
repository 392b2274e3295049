import { describe, expect, it } from "vitest";

import { definitionToFlow } from "@/builder/store";
import { buildTestOptions, defaultSample, sideEffectNodes } from "@/builder/testOptions";
import { ticketDefinition } from "@/test/fixtures";

describe("side-effecting nodes in test runs", () => {
  it("lists HTTP requests that are not reads, webhooks and integration actions", () => {
    const { nodes } = definitionToFlow({
      ...ticketDefinition,
      nodes: [
        ...ticketDefinition.nodes,
        { id: "lookup", type: "action.http", name: "Look up", config: { method: "GET", url: "https://example.com" } },
        { id: "hook", type: "action.webhook", name: "", config: { url: "https://example.com/hook" } },
      ],
    });
    expect(sideEffectNodes(nodes)).toEqual([
      { id: "file_bug", name: "File in tracker", nodeType: "action.http" },
      { id: "hook", name: "hook", nodeType: "action.webhook" },
    ]);
    expect(defaultSample("action.http")).toEqual({ status: 200, headers: { "content-type": "application/json" }, body: {} });
  });

  it("sends only the nodes not left on preview, and refuses a sample that is no JSON object", () => {
    const present = new Set(["a", "b", "c", "d"]);
    expect(
      buildTestOptions(
        {
          a: { mode: "preview", sampleText: "{}" },
          b: { mode: "send", sampleText: "" },
          c: { mode: "sample", sampleText: '{"status": 201, "body": {"id": "T-7"}}' },
          gone: { mode: "send", sampleText: "" },
        },
        present,
      ),
    ).toEqual({ nodes: { b: { mode: "send" }, c: { mode: "sample", sample: { status: 201, body: { id: "T-7" } } } }, errors: {} });
    expect(buildTestOptions({ d: { mode: "sample", sampleText: "[1]" } }, present).errors.d).toContain("must be a JSON object");
    expect(buildTestOptions({ d: { mode: "sample", sampleText: "{" } }, present).errors.d).toBe("The sample response isn't valid JSON.");
  });
});
