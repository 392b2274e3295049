import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { Execution } from "@/api/executions";
import { ExecutionDetailPage } from "@/pages/executions/ExecutionDetailPage";
import { ExecutionsPage } from "@/pages/executions/ExecutionsPage";
import { execution, step } from "@/test/executions";
import { agentDetail } from "@/test/fixtures";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

function serveDetail(current: () => Execution) {
  const retries: unknown[] = [];
  let cancels = 0;
  server.use(
    mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
    mock.get("/api/v1/executions/exec-1", () => HttpResponse.json(current())),
    mock.get("/api/v1/executions/exec-1/steps", () => HttpResponse.json([step("classify")])),
    // The new run "Run again from the start" opens.
    mock.get("/api/v1/executions/exec-2", () => HttpResponse.json(execution({ id: "exec-2", status: "queued" }))),
    mock.get("/api/v1/executions/exec-2/steps", () => HttpResponse.json([])),
    mock.post("/api/v1/executions/exec-1/retry", async ({ request }) => {
      const body = (await request.json()) as { from_failed: boolean };
      retries.push(body);
      return HttpResponse.json({ id: body.from_failed ? "exec-1" : "exec-2", status: "queued", agent_id: "agent-1" }, { status: 202 });
    }),
    mock.post("/api/v1/executions/exec-1/cancel", () => {
      cancels += 1;
      return HttpResponse.json(execution({ status: "cancelled" }));
    }),
  );
  return { retries, cancels: () => cancels };
}

describe("run history and run actions", () => {
  it("marks test runs, rejections and waiting approvals, with the version that ran", async () => {
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/executions", () =>
        HttpResponse.json({
          items: [
            execution({ id: "a", version: 3, approval: "rejected" }),
            execution({ id: "b", version: 3, status: "paused", approval: "waiting" }),
            execution({ id: "c", version: null, version_id: null, triggered_by: "test" }),
          ],
          next_cursor: null,
        }),
      ),
    );
    renderPage(<ExecutionsPage />, { path: "/executions" });
    const rows = within(await screen.findByRole("table", { name: "Executions" })).getAllByRole("row");
    expect(within(rows[0]!).getByText("Version")).toBeTruthy();
    expect(within(rows[1]!).getByText("rejected")).toBeTruthy();
    expect(within(rows[1]!).getByText("v3")).toBeTruthy();
    expect(within(rows[2]!).getByText("waiting for approval")).toBeTruthy();
    expect(within(rows[3]!).getByText("Test")).toBeTruthy();
    expect(within(rows[3]!).getByText("draft")).toBeTruthy();
    expect(screen.getByText(/not counted in an agent's success rate/)).toBeTruthy();
  });

  it("retries a failed run from the failed step, or runs it again from the start", async () => {
    const served = serveDetail(() => execution({ status: "failed", error: "boom", failed_node: "classify", version: 3 }));
    const { router } = renderPage(<ExecutionDetailPage />, { path: "/executions/:executionId", url: "/executions/exec-1" });
    await userEvent.click(await screen.findByRole("button", { name: /Retry from the failed step/ }));
    await waitFor(() => expect(served.retries).toEqual([{ from_failed: true }]));
    expect(router.state.location.pathname).toBe("/executions/exec-1");
    await userEvent.click(screen.getByRole("button", { name: /Run again from the start/ }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/executions/exec-2"));
    expect(served.retries).toEqual([{ from_failed: true }, { from_failed: false }]);
  });

  it("asks before cancelling a running run", async () => {
    const served = serveDetail(() => execution({ status: "running", finished_at: null }));
    renderPage(<ExecutionDetailPage />, { path: "/executions/:executionId", url: "/executions/exec-1" });
    await userEvent.click(await screen.findByRole("button", { name: "Cancel run" }));
    const confirm = await screen.findByRole("alertdialog", { name: "Cancel this run?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Keep running" }));
    expect(served.cancels()).toBe(0);
    await userEvent.click(screen.getByRole("button", { name: "Cancel run" }));
    await userEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Cancel run" }));
    await waitFor(() => expect(served.cancels()).toBe(1));
  });
});
