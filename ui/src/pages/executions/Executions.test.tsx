import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { ExecutionDetailPage } from "@/pages/executions/ExecutionDetailPage";
import { ExecutionsPage } from "@/pages/executions/ExecutionsPage";
import { execution, step } from "@/test/executions";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

describe("executions", () => {
  it("lists runs with status, trigger, duration and cost, and filters through the API", async () => {
    const queries: string[] = [];
    server.use(
      mock.get("/api/v1/executions", ({ request }) => {
        queries.push(new URL(request.url).search);
        return HttpResponse.json({
          items: [execution(), execution({ id: "exec-2", status: "failed", triggered_by: "schedule", cost_usd: null })],
          next_cursor: null,
        });
      }),
    );
    renderPage(<ExecutionsPage />, { path: "/executions" });
    const table = await screen.findByRole("table", { name: "Executions" });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[1]!).getByText("completed")).toBeTruthy();
    expect(within(rows[1]!).getByText("2.1 s")).toBeTruthy();
    expect(within(rows[1]!).getByText("$0.0042")).toBeTruthy();
    expect(within(rows[2]!).getByText("failed")).toBeTruthy();
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Status" }), "failed");
    await waitFor(() => expect(queries.at(-1)).toContain("status=failed"));
  });

  it("shows each step's input and output, and approves a paused run", async () => {
    let decision: unknown = null;
    let status = "paused";
    server.use(
      mock.get("/api/v1/executions/exec-1", () => HttpResponse.json(execution({ status: status as "paused" }))),
      mock.get("/api/v1/executions/exec-1/steps", () =>
        HttpResponse.json([step("classify"), step("approve", { node_type: "human.approval", status: "paused", output: null })]),
      ),
      mock.post("/api/v1/executions/exec-1/approve", async ({ request }) => {
        decision = await request.json();
        status = "running";
        return HttpResponse.json(execution({ status: "running" }));
      }),
    );
    renderPage(<ExecutionDetailPage />, { path: "/executions/:executionId", url: "/executions/exec-1" });
    const detail = await screen.findByTestId("step-detail");
    expect(detail.textContent).toContain("run classify");
    expect(detail.textContent).toContain("done classify");
    await userEvent.click(screen.getByRole("button", { name: /^approve/ }));
    expect(screen.getByTestId("step-detail").textContent).toContain("paused");

    await userEvent.type(screen.getByLabelText("Comment (optional)"), "ship it");
    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(decision).toEqual({ approved: true, comment: "ship it" }));
    await waitFor(() => expect(screen.queryByText("Waiting for approval")).toBeNull());
  });
});
