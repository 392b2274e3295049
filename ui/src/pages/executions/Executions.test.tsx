import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { ExecutionDetailPage } from "@/pages/executions/ExecutionDetailPage";
import { ExecutionsPage } from "@/pages/executions/ExecutionsPage";
import type { WaitingFor } from "@/api/contracts";
import { execution, step } from "@/test/executions";
import { agentDetail } from "@/test/fixtures";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

describe("executions", () => {
  it("lists runs with status, trigger, duration and cost, and filters through the API", async () => {
    const queries: string[] = [];
    let agentLoads = 0;
    server.use(
      mock.get("/api/v1/agents/agent-1", () => {
        agentLoads += 1;
        return HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } });
      }),
      mock.get("/api/v1/executions", ({ request }) => {
        queries.push(new URL(request.url).search);
        return HttpResponse.json({
          items: [execution(), execution({ id: "exec-2", status: "failed", triggered_by: "schedule", total_cost_usd: 0, error: "boom", failed_node: "classify" })],
          next_cursor: null,
        });
      }),
    );
    renderPage(<ExecutionsPage />, { path: "/executions" });
    expect(await screen.findAllByText("Ticket triage")).toHaveLength(2); // the agent's name, fetched once
    const table = await screen.findByRole("table", { name: "Executions" });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]!).getByText("completed")).toBeTruthy();
    expect(within(rows[1]!).getByText("2.1 s")).toBeTruthy();
    expect(within(rows[1]!).getByText("$0.0042")).toBeTruthy();
    expect(within(rows[2]!).getByText("failed")).toBeTruthy();
    expect(within(rows[2]!).getByText("$0.00")).toBeTruthy();
    expect(agentLoads).toBe(1);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Status" }), "failed");
    await waitFor(() => expect(queries.at(-1)).toContain("status=failed"));
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-03-01" } });
    fireEvent.change(screen.getByLabelText("To"), { target: { value: "2026-03-01" } });
    await waitFor(() => expect(queries.at(-1)).toContain("until=2026-03-02T00%3A00%3A00.000Z"));
    expect(queries.at(-1)).toContain("since=2026-03-01T00%3A00%3A00.000Z");
  });

  it("shows each step's input and output, and approves a paused run", async () => {
    let decision: unknown = null;
    const waiting: WaitingFor = {
      node_id: "approve",
      step_key: "approve",
      message: "Ship release 1.2?",
      approvers: ["role:editor"],
      deadline: "2026-03-02T10:00:00Z",
      on_timeout: "reject",
      input_schema: { type: "object", properties: { ticket: { type: "string", title: "Ticket" } }, required: ["ticket"] },
    };
    let current = execution({ status: "paused", finished_at: null, duration_ms: null, output: null, waiting_for: { ...waiting } });
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/executions/exec-1", () => HttpResponse.json(current)),
      mock.get("/api/v1/executions/exec-1/steps", () =>
        HttpResponse.json([
          step("classify"),
          step("approve", { node_type: "human.approval", status: "waiting", output: null, finished_at: null, duration_ms: null, tokens: 0, cost_usd: 0 }),
        ]),
      ),
      mock.post("/api/v1/executions/exec-1/approve", async ({ request }) => {
        decision = await request.json();
        current = execution({ status: "running", finished_at: null, waiting_for: null });
        return HttpResponse.json(execution({ status: "paused", waiting_for: { ...waiting, decision: { approved: true, comment: "ship it", by: "u1", at: "2026-03-01T10:01:00Z" } } }));
      }),
    );
    renderPage(<ExecutionDetailPage />, { path: "/executions/:executionId", url: "/executions/exec-1" });
    const detail = await screen.findByTestId("step-detail");
    expect(detail.textContent).toContain("run classify");
    expect(detail.textContent).toContain("done classify");
    await userEvent.click(screen.getByRole("button", { name: /^approve/ }));
    expect(screen.getByTestId("step-detail").textContent).toContain("waiting");
    expect(screen.getByText("Ship release 1.2?")).toBeTruthy();

    await userEvent.type(screen.getByLabelText(/^Ticket/), "REL-12");
    await userEvent.type(screen.getByLabelText("Comment (optional)"), "ship it");
    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(decision).toEqual({ approved: true, comment: "ship it", fields: { ticket: "REL-12" } }));
    await waitFor(() => expect(screen.queryByText("Waiting for approval")).toBeNull());
  });
});
