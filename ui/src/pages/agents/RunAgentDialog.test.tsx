import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { AgentDefinition } from "@/api/definition";
import { AgentsPage } from "@/pages/agents/AgentsPage";
import { agentSummary, version } from "@/test/fixtures";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const manual: AgentDefinition = {
  nodes: [
    {
      id: "start",
      type: "trigger",
      config: {
        kind: "manual",
        input_schema: {
          type: "object",
          properties: { title: { type: "string", title: "Title" }, count: { type: "integer", title: "Count" } },
          required: ["title"],
        },
      },
    },
  ],
  edges: [],
};

function serve(definition: AgentDefinition, triggerType: "manual" | "webhook" | "schedule") {
  const executed: unknown[] = [];
  server.use(
    mock.get("/api/v1/agents", () =>
      HttpResponse.json({ items: [agentSummary({ trigger_type: triggerType }), agentSummary({ id: "agent-2", name: "Unpublished", current_version: null })], next_cursor: null }),
    ),
    mock.get("/api/v1/agents/agent-1/versions/3", () => HttpResponse.json(version(3, definition))),
    mock.post("/api/v1/agents/agent-1/execute", async ({ request }) => {
      executed.push(await request.json());
      return HttpResponse.json({ id: "exec-9", status: "queued", agent_id: "agent-1" }, { status: 202 });
    }),
  );
  return executed;
}

describe("Run dialog", () => {
  it("runs a published agent with the generated form, checking it first, then opens the execution", async () => {
    const executed = serve(manual, "manual");
    const { router } = renderPage(<AgentsPage />, { path: "/agents" });
    await screen.findAllByTestId("agent-card");
    expect(screen.queryByRole("button", { name: "Run Unpublished" })).toBeNull(); // nothing published to run
    await userEvent.click(screen.getByRole("button", { name: "Run Ticket triage" }));
    const dialog = await screen.findByRole("dialog", { name: "Run Ticket triage" });
    await userEvent.click(await within(dialog).findByRole("button", { name: /Run now/ }));
    expect(within(dialog).getByText("Title is required.")).toBeTruthy();
    await userEvent.type(within(dialog).getByLabelText(/Title/), "Release 1.2");
    await userEvent.type(within(dialog).getByLabelText(/Count/), "two");
    await userEvent.click(within(dialog).getByRole("button", { name: /Run now/ }));
    expect(within(dialog).getByText("Count must be a number.")).toBeTruthy();
    expect(executed).toEqual([]);
    await userEvent.clear(within(dialog).getByLabelText(/Count/));
    await userEvent.type(within(dialog).getByLabelText(/Count/), "2");
    await userEvent.click(within(dialog).getByRole("button", { name: /Run now/ }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/executions/exec-9"));
    expect(executed).toEqual([{ input: { title: "Release 1.2", count: 2 } }]);
  }, 20_000); // many keystrokes: slow on a loaded machine

  it("switches to a JSON editor and refuses text that is not JSON", async () => {
    const executed = serve(manual, "manual");
    const { router } = renderPage(<AgentsPage />, { path: "/agents" });
    await userEvent.click(await screen.findByRole("button", { name: "Run Ticket triage" }));
    const dialog = await screen.findByRole("dialog", { name: "Run Ticket triage" });
    await userEvent.type(await within(dialog).findByLabelText(/Title/), "Hi");
    await userEvent.click(within(dialog).getByRole("button", { name: "Edit as JSON" }));
    const editor = within(dialog).getByLabelText("Input (JSON)");
    expect((editor as HTMLTextAreaElement).value).toBe('{\n  "title": "Hi"\n}');
    await userEvent.clear(editor);
    await userEvent.type(editor, "{{");
    await userEvent.click(within(dialog).getByRole("button", { name: /Run now/ }));
    expect(within(dialog).getByText(/This isn't valid JSON yet/)).toBeTruthy();
    await userEvent.clear(editor);
    await userEvent.type(editor, '{{"title": "Yo"}');
    await userEvent.click(within(dialog).getByRole("button", { name: /Run now/ }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/executions/exec-9"));
    expect(executed).toEqual([{ input: { title: "Yo" } }]);
  }, 20_000);

  it("explains how webhook and schedule agents run instead of running them", async () => {
    serve({ nodes: [{ id: "start", type: "trigger", config: { kind: "schedule", cron: "0 9 * * 1-5", timezone: "Europe/Paris" } }], edges: [] }, "schedule");
    renderPage(<AgentsPage />, { path: "/agents" });
    await userEvent.click(await screen.findByRole("button", { name: "Run Ticket triage" }));
    const dialog = await screen.findByRole("dialog", { name: "Run Ticket triage" });
    expect(await within(dialog).findByText("0 9 * * 1-5")).toBeTruthy();
    expect(dialog.textContent).toContain("runs on its schedule");
    expect(within(dialog).queryByRole("button", { name: /Run now/ })).toBeNull();
  });
});
