import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { VersionDiff } from "@/api/agents";
import type { Member } from "@/api/org";
import { diffFlow } from "@/pages/agents/DiffView";
import { VersionsPage } from "@/pages/agents/VersionsPage";
import { ticketDefinition, version, versionSummary } from "@/test/fixtures";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const v1 = structuredClone(ticketDefinition);
const v2 = structuredClone(ticketDefinition);
v2.nodes = v2.nodes.filter((n) => n.id !== "file_bug");
v2.nodes.push({ id: "reply", type: "ai", name: "Reply", config: { prompt: "hi" }, position: { x: 900, y: 200 } });
v2.nodes[1]!.config = { ...v2.nodes[1]!.config, model: "gpt-4o" };
v2.edges = [...v2.edges.filter((e) => e.target !== "file_bug"), { source: "is_bug", target: "reply", source_handle: "false" }];

const diff: VersionDiff = {
  from_version: 1,
  to_version: 2,
  nodes_added: ["reply"],
  nodes_removed: ["file_bug"],
  nodes_changed: [{ node_id: "classify", fields: ["config.model"] }],
  nodes_moved: [],
  edges_added: [{ source: "is_bug", target: "reply", source_handle: "false" }],
  edges_removed: [{ source: "is_bug", target: "file_bug", source_handle: "true" }],
  settings_changed: [],
};

const member: Member = { user: ownerMe.user, role: "owner", joined_at: "2026-01-01T00:00:00Z" };

describe("versions", () => {
  it("marks added, removed and changed nodes in the diff graph", () => {
    const { nodes, edges } = diffFlow(v1, v2, diff);
    const change = Object.fromEntries(nodes.map((n) => [n.id, n.data.change]));
    expect(change).toEqual({ start: "same", classify: "changed", is_bug: "same", reply: "added", file_bug: "removed" });
    expect(nodes.find((n) => n.id === "classify")?.data.fields).toEqual(["config.model"]);
    expect(edges.some((e) => e.id === "removed:is_bug->file_bug")).toBe(true);
    // Diff nodes have a single output handle, so every edge must attach to it (no branch handle ids).
    expect(edges.every((e) => !("sourceHandle" in e) || e.sourceHandle == null)).toBe(true);
    expect(edges.find((e) => e.target === "reply")?.label).toBe("false");
  });

  it("lists versions, compares the latest two and rolls back", async () => {
    let rollbackBody: unknown = null;
    server.use(
      mock.get("/api/v1/agents/agent-1/versions", () =>
        HttpResponse.json({
          items: [versionSummary(2, { message: "Reply instead of filing" }), versionSummary(1, { message: "First" })],
          next_cursor: null,
        }),
      ),
      mock.get("/api/v1/agents/agent-1/versions/1", () => HttpResponse.json(version(1, v1))),
      mock.get("/api/v1/agents/agent-1/versions/2", () => HttpResponse.json(version(2, v2))),
      mock.get("/api/v1/agents/agent-1/versions/1/diff/2", () => HttpResponse.json(diff)),
      mock.get("/api/v1/org/members", () => HttpResponse.json({ items: [member], next_cursor: null })),
      mock.post("/api/v1/agents/agent-1/versions/1/rollback", async ({ request }) => {
        rollbackBody = await request.json();
        return HttpResponse.json(version(3, v1, { message: "Rollback to version 1" }), { status: 201 });
      }),
    );
    const { router } = renderPage(<VersionsPage />, { path: "/agents/:agentId/versions", url: "/agents/agent-1/versions" });
    const table = await screen.findByRole("table", { name: "Versions" });
    const rows = within(table).getAllByRole("row");
    expect(rows[1]?.textContent).toContain("v2");
    expect(rows[1]?.textContent).toContain("latest");
    expect(rows[1]?.textContent).toContain("Reply instead of filing");
    expect(rows[1]?.textContent).toContain("Ada Lovelace");
    expect(rows[1]?.textContent).toContain("222222222222");
    expect(await screen.findByText("1 added · 1 removed · 1 changed · 2 connections changed")).toBeTruthy();
    expect((await screen.findByTestId("diff-reply")).dataset.change).toBe("added");

    await userEvent.click(within(rows[2]!).getByRole("button", { name: "Roll back" }));
    await userEvent.click(await screen.findByRole("button", { name: "Roll back" }));
    await waitFor(() => expect(rollbackBody).toEqual({}));
    expect(await screen.findByText("Rolled back: version 3 runs v1's definition")).toBeTruthy();
    await waitFor(() => expect(router.state.location.pathname).toBe("/agents/agent-1"));
  });
});
