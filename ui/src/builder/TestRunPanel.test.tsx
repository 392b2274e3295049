import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse, ws } from "msw";
import { describe, expect, it } from "vitest";

import type { StreamEvent, WaitingFor } from "@/api/contracts";
import { BuilderPage } from "@/builder/BuilderPage";
import { StepDetail } from "@/builder/TestRunPanel";
import { useBuilderStore } from "@/builder/store";
import { agentDetail, catalog, fileBugVariables } from "@/test/fixtures";
import type { ExecutionAccepted } from "@/api/executions";
import { execution, step } from "@/test/executions";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const stream = ws.link("ws://localhost:3000/api/v1/executions/*/stream");
let nextId = 0;
/** A stream frame as the server sends it. */
const event = (type: StreamEvent["type"], nodeId: string | null = null, data: StreamEvent["data"] = null): StreamEvent => ({
  id: ++nextId,
  type,
  node_id: nodeId,
  step_key: nodeId,
  data,
  created_at: "2026-03-01T10:00:00Z",
});

describe("test runs", () => {
  it("runs the draft with JSON input, lights nodes from the stream and lists steps", async () => {
    let testBody: unknown = null;
    let streamUrl = "";
    const events: StreamEvent[] = [
      event("execution.started"),
      event("step.started", "start"),
      event("step.completed", "start", { output: { body: { text: "crash" } }, handles: ["default"] }),
      event("step.started", "classify"),
      event("step.completed", "classify", { output: { label: "bug" }, handles: ["default"] }),
      event("step.started", "is_bug"),
      event("step.failed", "is_bug", { error: "boom" }),
      event("step.skipped", "file_bug"),
      event("execution.failed", null, { status: "failed", output: null, error: "boom", failed_node: "is_bug" }),
    ];
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/schemas/node-types", () => HttpResponse.json(catalog)),
      mock.get("/api/v1/agents/agent-1/variables", () => HttpResponse.json({ node_id: "file_bug", variables: fileBugVariables })),
      mock.post("/api/v1/agents/agent-1/test", async ({ request }) => {
        testBody = await request.json();
        return HttpResponse.json({ id: "exec-9", status: "queued", agent_id: "agent-1" } satisfies ExecutionAccepted, { status: 202 });
      }),
      mock.get("/api/v1/executions/exec-9/steps", () =>
        HttpResponse.json([step("start", { node_type: "trigger" }), step("classify", { tokens: 812, cost_usd: 0.0042 })]),
      ),
      stream.addEventListener("connection", ({ client }) => {
        streamUrl = client.url.toString();
        for (const frame of events) client.send(JSON.stringify(frame));
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

  it("shows a waiting approval on its node and approves it from the panel", async () => {
    let decision: unknown = null;
    const waiting: WaitingFor = {
      node_id: "is_bug",
      step_key: "is_bug",
      message: "File it?",
      approvers: [],
      deadline: "2026-03-02T10:00:00Z",
      on_timeout: "reject",
      input_schema: null,
    };
    let send: (frame: StreamEvent) => void = () => {};
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/schemas/node-types", () => HttpResponse.json(catalog)),
      mock.post("/api/v1/agents/agent-1/test", () =>
        HttpResponse.json({ id: "exec-9", status: "queued", agent_id: "agent-1" } satisfies ExecutionAccepted, { status: 202 }),
      ),
      mock.get("/api/v1/agents/agent-1/variables", () => HttpResponse.json({ node_id: "classify", variables: fileBugVariables.slice(0, 1) })),
      mock.get("/api/v1/executions/exec-9/steps", () => HttpResponse.json([step("start", { node_type: "trigger" })])),
      mock.post("/api/v1/executions/exec-9/approve", async ({ request }) => {
        decision = await request.json();
        return HttpResponse.json(execution({ id: "exec-9", status: "paused", waiting_for: { ...waiting } }));
      }),
      stream.addEventListener("connection", ({ client }) => {
        send = (frame) => client.send(JSON.stringify(frame));
        for (const frame of [
          event("execution.started"),
          event("step.completed", "start"),
          event("step.started", "is_bug"),
          event("execution.paused", "is_bug", waiting as unknown as StreamEvent["data"]),
        ]) {
          send(frame);
        }
      }),
    );
    renderPage(<BuilderPage />, { path: "/agents/:agentId", url: "/agents/agent-1" });
    await screen.findByTestId("node-start");
    await userEvent.click(screen.getByRole("button", { name: "Test" }));
    await userEvent.click(screen.getByRole("button", { name: "Run test" }));

    await waitFor(() => expect(screen.getByTestId("node-is_bug").dataset.runState).toBe("waiting"));
    const panel = screen.getByRole("region", { name: "Test run" });
    expect(within(panel).getByText("paused")).toBeTruthy();
    expect(within(panel).getByTestId("approval").textContent).toContain("File it?");
    await userEvent.click(within(panel).getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(decision).toEqual({ approved: true, comment: "" }));

    act(() => {
      send(event("execution.resumed"));
      send(event("step.completed", "is_bug", { output: { approved: true }, handles: ["approved"] }));
      send(event("execution.completed", null, { status: "completed", output: null, error: null, failed_node: null }));
    });
    await waitFor(() => expect(screen.getByTestId("node-is_bug").dataset.runState).toBe("completed"));
    expect(within(panel).getByText("completed")).toBeTruthy();
    expect(within(panel).queryByTestId("approval")).toBeNull();
  });

  it("starts from a sample in the webhook's shape, shows schema problems before the run, and sends node options", async () => {
    let testBody: { input?: unknown; nodes?: unknown } | null = null;
    const schema = { type: "object", properties: { text: { type: "string", minLength: 3 } }, required: ["text"] };
    const draft = {
      ...agentDetail().draft,
      nodes: agentDetail().draft.nodes.map((node) => (node.id === "start" ? { ...node, config: { kind: "webhook", input_schema: schema } } : node)),
    };
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail({ draft }), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/schemas/node-types", () => HttpResponse.json(catalog)),
      mock.get("/api/v1/agents/agent-1/variables", () => HttpResponse.json({ node_id: "file_bug", variables: fileBugVariables })),
      mock.post("/api/v1/agents/agent-1/test", async ({ request }) => {
        testBody = (await request.json()) as typeof testBody;
        return HttpResponse.json({ id: "exec-9", status: "queued", agent_id: "agent-1" } satisfies ExecutionAccepted, { status: 202 });
      }),
      mock.get("/api/v1/executions/exec-9/steps", () => HttpResponse.json([])),
      stream.addEventListener("connection", () => {}),
    );
    renderPage(<BuilderPage />, { path: "/agents/:agentId", url: "/agents/agent-1" });
    await screen.findByTestId("node-start");
    await userEvent.click(screen.getByRole("button", { name: "Test" }));
    const input = screen.getByLabelText<HTMLTextAreaElement>("Input (JSON)");
    expect(JSON.parse(input.value)).toEqual({ body: { text: "example" }, headers: { "content-type": "application/json" }, query: {} });
    expect(screen.getByText(/A webhook run gets the delivery/)).toBeTruthy();

    await userEvent.clear(input);
    await userEvent.paste('{"body": {"text": "no"}, "headers": {}, "query": {}}');
    expect(within(screen.getByRole("list", { name: "Input problems" })).getByText("body.text must be at least 3 characters long.")).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>("button", { name: "Run test" }).disabled).toBe(true);
    await userEvent.click(screen.getByRole("button", { name: "Start again from the sample" }));
    expect(screen.queryByRole("list", { name: "Input problems" })).toBeNull();

    await userEvent.selectOptions(screen.getByLabelText("File in tracker (file_bug)"), "sample");
    const sample = screen.getByLabelText<HTMLTextAreaElement>("Sample response of File in tracker");
    await userEvent.clear(sample);
    await userEvent.paste('{"status": 201, "body": {"id": "T-7"}}');
    await userEvent.click(screen.getByRole("button", { name: "Run test" }));
    await waitFor(() => expect(testBody).not.toBeNull());
    expect(testBody).toMatchObject({
      input: { body: { text: "example" } },
      nodes: { file_bug: { mode: "sample", sample: { status: 201, body: { id: "T-7" } } } },
    });
  });

  it("says who can allow a private destination when the guard refused a step", async () => {
    const refused = "Refusing to call 10.0.0.5:80: it resolves to a private or local address (10.0.0.5). Only the operator who runs this AgentFlow server can allow private destinations, with the AGENTFLOW_EGRESS_ALLOWLIST setting";
    renderPage(<StepDetail step={step("file_bug", { status: "failed", error: refused, output: { error: refused, code: "egress_refused" } })} />);
    const help = await screen.findByText(/No organization setting changes this/);
    expect(help.textContent).toContain("AGENTFLOW_EGRESS_ALLOWLIST");
    expect(screen.getByText("docs/security.md#allowing-private-destinations")).toBeTruthy();
  });
});
