import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { AgentsPage } from "@/pages/agents/AgentsPage";
import { agentSummary } from "@/test/fixtures";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const agents = [
  agentSummary(),
  agentSummary({ id: "agent-2", name: "Nightly digest", status: "paused", trigger_type: "schedule", success_rate: null, last_run_at: null, current_version: null, tags: [] }),
];

describe("agents list", () => {
  it("shows cards with status, trigger, last run and success rate, and switches to a table", async () => {
    server.use(mock.get("/api/v1/agents", () => HttpResponse.json({ items: agents, next_cursor: null })));
    renderPage(<AgentsPage />, { path: "/agents" });
    const cards = await screen.findAllByTestId("agent-card");
    expect(cards).toHaveLength(2);
    const first = within(cards[0]!);
    expect(first.getByText("Ticket triage")).toBeTruthy();
    expect(first.getByText("active")).toBeTruthy();
    expect(first.getByText("webhook")).toBeTruthy();
    expect(first.getByText("92%")).toBeTruthy();
    expect(first.getByText("1 hour ago")).toBeTruthy();
    expect(within(cards[1]!).getByText("never")).toBeTruthy();
    expect(within(cards[1]!).getByText("unpublished")).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "List view" }));
    const table = await screen.findByRole("table", { name: "Agents" });
    expect(within(table).getAllByRole("row")).toHaveLength(3);
  });

  it("sends search and filters to the API", async () => {
    const seen: string[] = [];
    server.use(
      mock.get("/api/v1/agents", ({ request }) => {
        seen.push(new URL(request.url).search);
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    renderPage(<AgentsPage />, { path: "/agents" });
    expect(await screen.findByText("No agents yet")).toBeTruthy();
    await userEvent.type(screen.getByRole("searchbox", { name: "Search agents" }), "triage");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Status" }), "paused");
    await waitFor(() => expect(seen.at(-1)).toContain("q=triage"));
    expect(seen.at(-1)).toContain("status=paused");
    expect(await screen.findByText("No agents match")).toBeTruthy();
  });

  it("pauses an active agent from its quick actions", async () => {
    let statusBody: unknown = null;
    server.use(
      mock.get("/api/v1/agents", () => HttpResponse.json({ items: agents.slice(0, 1), next_cursor: null })),
      mock.put("/api/v1/agents/agent-1/status", async ({ request }) => {
        statusBody = await request.json();
        return HttpResponse.json({ ...agents[0], status: "paused" });
      }),
    );
    renderPage(<AgentsPage />, { path: "/agents" });
    await userEvent.click(await screen.findByRole("button", { name: "Actions for Ticket triage" }));
    await userEvent.click(await screen.findByRole("menuitem", { name: "Pause" }));
    await waitFor(() => expect(statusBody).toEqual({ status: "paused" }));
  });
});
