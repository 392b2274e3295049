import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { beforeEach, describe, expect, it } from "vitest";

import type { AgentDetail } from "@/api/agents";
import { BuilderPage } from "@/builder/BuilderPage";
import { useBuilderStore } from "@/builder/store";
import { agentDetail, catalog, fileBugVariables } from "@/test/fixtures";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

interface Saved {
  ifMatch: string | null;
  body: { definition: AgentDetail["draft"] };
}

function serveAgent(agent: AgentDetail, onPut: (saved: Saved) => Response | Promise<Response>) {
  server.use(
    mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agent, { headers: { ETag: `"${agent.draft_revision}"` } })),
    mock.get("/api/v1/schemas/node-types", () => HttpResponse.json(catalog)),
    mock.get("/api/v1/agents/agent-1/variables", () => HttpResponse.json({ node_id: "file_bug", variables: fileBugVariables })),
    mock.put("/api/v1/agents/agent-1", async ({ request }) =>
      onPut({ ifMatch: request.headers.get("If-Match"), body: (await request.json()) as Saved["body"] }),
    ),
  );
}

const openBuilder = () => renderPage(<BuilderPage />, { path: "/agents/:agentId", url: "/agents/agent-1" });

beforeEach(() => {
  useBuilderStore.setState({ nodes: [], edges: [] });
});

describe("builder page", () => {
  it("draws each node type with its own handles and labels branch edges", async () => {
    serveAgent(agentDetail(), () => HttpResponse.json({}));
    openBuilder();
    const branch = await screen.findByTestId("node-is_bug");
    expect(branch.dataset.nodeType).toBe("logic.if");
    // logic.if has `true` and `false` handles, named on the node.
    expect(within(branch).getByText("true")).toBeTruthy();
    expect(within(branch).getByText("false")).toBeTruthy();
    expect(branch.querySelectorAll(".react-flow__handle.source")).toHaveLength(2);
    // A trigger has no input handle; an HTTP node has default + error outputs.
    expect((await screen.findByTestId("node-start")).querySelectorAll(".react-flow__handle.target")).toHaveLength(0);
    expect(within(screen.getByTestId("node-file_bug")).getByText("error")).toBeTruthy();
    // The AI node shows its operation next to its id.
    expect(within(screen.getByTestId("node-classify")).getAllByText("classify")).toHaveLength(2);
    // The palette lists every catalog type.
    expect(screen.getAllByTestId(/^palette-/)).toHaveLength(catalog.length);
  });

  it("generates the form from the node's schema, flags broken references and autosaves with If-Match", async () => {
    const saves: Saved[] = [];
    serveAgent(agentDetail(), (saved) => {
      saves.push(saved);
      return HttpResponse.json(agentDetail({ draft_revision: 8, draft: saved.body.definition }), { headers: { ETag: '"8"' } });
    });
    openBuilder();
    await screen.findByTestId("node-file_bug");
    act(() => useBuilderStore.getState().select("file_bug"));
    const panel = await screen.findByTestId("config-panel");
    expect(within(panel).getByRole("heading", { name: "HTTP request" })).toBeTruthy();
    expect((within(panel).getByLabelText("Method") as HTMLSelectElement).value).toBe("POST");
    const url = within(panel).getByLabelText(/^Url/) as HTMLInputElement;
    expect(url.value).toBe("{{env.TRACKER_URL}}/issues");
    await waitFor(() => expect(panel.querySelector("[data-broken=false]")?.textContent).toContain("{{env.TRACKER_URL}}"));

    fireEvent.change(url, { target: { value: "{{env.TRACKER_URL}}/{{nope.output.id}}" } });
    expect(panel.querySelector("[data-broken=true]")?.textContent).toContain("{{nope.output.id}}");
    fireEvent.change(url, { target: { value: "" } });
    expect(within(panel).getByText("Required.")).toBeTruthy();
    fireEvent.change(url, { target: { value: "https://tracker/{{classify.output.label}}" } });

    await waitFor(() => expect(saves).toHaveLength(1), { timeout: 3000 });
    expect(saves[0]?.ifMatch).toBe('"7"');
    expect(saves[0]?.body.definition.nodes[3]?.config).toEqual({ method: "POST", url: "https://tracker/{{classify.output.label}}" });
    expect(await screen.findByText("Saved")).toBeTruthy();

    // The next save carries the new revision from the ETag.
    fireEvent.change(within(panel).getByLabelText("Name"), { target: { value: "File it" } });
    await waitFor(() => expect(saves).toHaveLength(2), { timeout: 3000 });
    expect(saves[1]?.ifMatch).toBe('"8"');
  });

  it("stops autosaving on a 409 and offers to reload or overwrite", async () => {
    let revision = 9;
    const ifMatches: (string | null)[] = [];
    serveAgent(agentDetail(), (saved) => {
      ifMatches.push(saved.ifMatch);
      if (saved.ifMatch !== `"${revision}"`) {
        return HttpResponse.json({ error: { code: "edit_conflict", message: "The draft changed" } }, { status: 409 });
      }
      revision += 1;
      return HttpResponse.json(agentDetail({ draft_revision: revision }), { headers: { ETag: `"${revision}"` } });
    });
    // We open revision 7; someone else has saved twice since, so the server is at 9.
    let loads = 0;
    server.use(
      mock.get("/api/v1/agents/agent-1", () => {
        const seen = loads++ === 0 ? 7 : revision;
        return HttpResponse.json(agentDetail({ draft_revision: seen }), { headers: { ETag: `"${seen}"` } });
      }),
    );
    openBuilder();
    await screen.findByTestId("node-file_bug");
    act(() => {
      useBuilderStore.getState().addNode("logic.delay", { x: 0, y: 300 });
    });
    expect(await screen.findByText(/Someone else saved this agent/, {}, { timeout: 3000 })).toBeTruthy();
    expect(screen.getByTestId("save-state").dataset.state).toBe("conflict");
    act(() => useBuilderStore.getState().updateNode("delay", { name: "still mine" }, "name"));
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(ifMatches).toEqual(['"7"']); // no further saves while in conflict

    await userEvent.click(screen.getByRole("button", { name: "Keep mine (overwrite)" }));
    await waitFor(() => expect(screen.getByTestId("save-state").dataset.state).toBe("saved"));
    expect(ifMatches).toEqual(['"7"', '"9"']);
    expect(screen.queryByText(/Someone else saved this agent/)).toBeNull();
  });

  it("saves pending edits when the builder is left before the autosave delay", async () => {
    const saves: Saved[] = [];
    serveAgent(agentDetail(), (saved) => {
      saves.push(saved);
      return HttpResponse.json(agentDetail({ draft_revision: 8 }), { headers: { ETag: '"8"' } });
    });
    const { unmount } = openBuilder();
    await screen.findByTestId("node-file_bug");
    act(() => useBuilderStore.getState().updateNode("file_bug", { name: "Last words" }, "name"));
    unmount();
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(saves[0]?.body.definition.nodes[3]?.name).toBe("Last words");
  });

  it("renames the agent in the same revision sequence as the draft", async () => {
    const saves: { ifMatch: string | null; body: unknown }[] = [];
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail(), { headers: { ETag: '"7"' } })),
      mock.get("/api/v1/schemas/node-types", () => HttpResponse.json(catalog)),
      mock.put("/api/v1/agents/agent-1", async ({ request }) => {
        const body = (await request.json()) as { name?: string };
        saves.push({ ifMatch: request.headers.get("If-Match"), body });
        return HttpResponse.json(agentDetail({ name: body.name ?? "Ticket triage", draft_revision: 8 }), { headers: { ETag: '"8"' } });
      }),
    );
    openBuilder();
    await screen.findByTestId("node-file_bug");
    await userEvent.click(screen.getByRole("button", { name: "Edit details" }));
    const name = screen.getByLabelText("Name");
    await userEvent.clear(name);
    await userEvent.type(name, "Bug triage");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("heading", { name: "Bug triage" })).toBeTruthy();
    expect(saves).toEqual([
      { ifMatch: '"7"', body: { name: "Bug triage", description: "Classifies incoming tickets", tags: ["support"] } },
    ]);
  });

  it("undo and redo buttons follow the history", async () => {
    serveAgent(agentDetail(), () => HttpResponse.json(agentDetail({ draft_revision: 8 }), { headers: { ETag: '"8"' } }));
    openBuilder();
    await screen.findByTestId("node-file_bug");
    const undo = screen.getByRole("button", { name: "Undo" }) as HTMLButtonElement;
    expect(undo.disabled).toBe(true);
    act(() => {
      useBuilderStore.getState().select("file_bug");
      useBuilderStore.getState().deleteSelection();
    });
    expect(screen.queryByTestId("node-file_bug")).toBeNull();
    await userEvent.click(undo);
    expect(await screen.findByTestId("node-file_bug")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Redo" }) as HTMLButtonElement).disabled).toBe(false);
  });
});
