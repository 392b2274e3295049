import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse, ws } from "msw";
import { describe, expect, it } from "vitest";

import type { StreamEvent } from "@/api/contracts";
import { BuilderPage } from "@/builder/BuilderPage";
import { useBuilderStore } from "@/builder/store";
import { agentDetail, catalog, fileBugVariables } from "@/test/fixtures";
import { step } from "@/test/executions";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const stream = ws.link("ws://localhost:3000/api/v1/executions/*/stream");
const at = "2026-03-01T10:00:00Z";

describe("test runs", () => {
  it("runs the draft with JSON input, lights nodes from the stream and lists steps", async () => {
    let testBody: unknown = null;
    let streamUrl = "";
    const events: StreamEvent[] = [
      { type: "step.started", node_id: "start", at },
      { type: "step.completed", node_id: "start", at },
      { type: "step.completed", node_id: "classify", at },
      { type: "step.failed", node_id: "is_bug", at },
      { type: "step.skipped", node_id: "file_bug", at },
      { type: "execution.failed", at },
    ];
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/schemas/node-types", () => HttpResponse.json(catalog)),
      mock.get("/api/v1/agents/agent-1/variables", () => HttpResponse.json({ node_id: "file_bug", variables: fileBugVariables })),
      mock.post("/api/v1/agents/agent-1/test", async ({ request }) => {
        testBody = await request.json();
        return HttpResponse.json({ id: "exec-9", status: "pending" }, { status: 202 });
      }),
      mock.get("/api/v1/executions/exec-9/steps", () =>
        HttpResponse.json([step("start", { node_type: "trigger" }), step("classify", { tokens: 812, cost_usd: 0.0042 })]),
      ),
      stream.addEventListener("connection", ({ client }) => {
        streamUrl = client.url.toString();
        for (const event of events) client.send(JSON.stringify(event));
      }),
    );
    renderPage(<BuilderPage />, { path: "/agents/:agentId", url: "/agents/agent-1" });
    await screen.findByTestId("node-start");
    await userEvent.click(screen.getByRole("button", { name: "Test" }));
    const input = screen.getByLabelText("Input (JSON)");
    await userEvent.clear(input);
    await userEvent.type(input, '{{"body": {{"text": "crash"}}');
    await userEvent.click(screen.getByRole("button", { name: "Run test" }));

    await waitFor(() => expect(screen.getByTestId("node-is_bug").dataset.runState).toBe("failed"));
    expect(testBody).toMatchObject({ input: { body: { text: "crash" } }, definition: { nodes: expect.any(Array) } });
    expect(streamUrl).toContain("token=test-token");
    expect(screen.getByTestId("node-start").dataset.runState).toBe("completed");
    expect(screen.getByTestId("node-classify").dataset.runState).toBe("completed");
    expect(screen.getByTestId("node-file_bug").dataset.runState).toBe("skipped");
    const panel = screen.getByRole("region", { name: "Test run" });
    expect(within(panel).getByText("failed")).toBeTruthy();
    const timeline = await within(panel).findByRole("list", { name: "Timeline" });
    expect(within(timeline).getByText("812 tok")).toBeTruthy();
    // Clicking a node shows its step's input and output.
    act(() => useBuilderStore.getState().select("classify"));
    expect((await within(panel).findByTestId("step-detail")).textContent).toContain("done classify");
  });
});
