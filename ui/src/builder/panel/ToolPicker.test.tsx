import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import * as React from "react";
import { describe, expect, it } from "vitest";

import type { JsonObject } from "@/api/definition";
import { ToolPicker } from "@/builder/panel/ToolPicker";
import { toolName, withTool } from "@/builder/panel/tools";
import { connection, integrationAction } from "@/test/integrations";
import { knowledgeBase } from "@/test/knowledge";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const me = { ...ownerMe, permissions: [...ownerMe.permissions, "integrations:read" as const] };

function Harness({ initial, onValue }: { initial: JsonObject; onValue: (value: JsonObject) => void }) {
  const [value, setValue] = React.useState(initial);
  return (
    <ToolPicker
      config={value}
      roundsDefault={8}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
    />
  );
}

const github = connection();
const otherGithub = connection({ id: "conn-2", name: "Personal GitHub" });
const mcp = connection({
  id: "conn-mcp",
  provider: "mcp",
  name: "Docs server",
  actions: [integrationAction({ name: "search_docs", side_effect: false, params_schema: { type: "object", properties: { q: { type: "string" } } } })],
});

describe("the AI node's tool picker", () => {
  it("adds integration, MCP and knowledge tools in the contract's shapes, with unique names and approvals", async () => {
    server.use(
      mock.get("/api/v1/integrations", () => HttpResponse.json([github, otherGithub, mcp])),
      mock.get("/api/v1/knowledge-bases", () => HttpResponse.json({ items: [knowledgeBase()], next_cursor: null })),
    );
    let last: JsonObject = {};
    renderPage(<Harness initial={{ prompt: "Triage {{trigger.input.text}}" }} onValue={(v) => (last = v)} />, { me });

    // An integration action: connection, then action.
    await waitFor(() => expect(screen.getByRole("option", { name: "Engineering GitHub (github)" })).toBeTruthy());
    // MCP servers are offered as MCP tools, not as integration actions.
    expect(screen.queryByRole("option", { name: /Docs server/ })).toBeNull();
    await userEvent.selectOptions(screen.getByLabelText("Connection"), "conn-1");
    await userEvent.selectOptions(screen.getByLabelText("Action"), "create_issue");
    await userEvent.click(screen.getByRole("button", { name: "Add tool" }));
    expect(last.tools).toEqual([{ type: "integration", connection_id: "conn-1", action: "create_issue" }]);

    // The same action of another connection gets an explicit name: the model tells tools apart by name.
    await userEvent.selectOptions(screen.getByLabelText("Connection"), "conn-2");
    await userEvent.selectOptions(screen.getByLabelText("Action"), "create_issue");
    await userEvent.click(screen.getByRole("button", { name: "Add tool" }));
    expect((last.tools as JsonObject[])[1]).toEqual({ type: "integration", connection_id: "conn-2", action: "create_issue", name: "create_issue_2" });

    await userEvent.selectOptions(screen.getByLabelText("Kind"), "mcp");
    await userEvent.selectOptions(screen.getByLabelText("MCP server"), "conn-mcp");
    await userEvent.selectOptions(screen.getByLabelText("Tool"), "search_docs");
    await userEvent.click(screen.getByRole("button", { name: "Add tool" }));

    await userEvent.selectOptions(screen.getByLabelText("Kind"), "knowledge");
    await waitFor(() => expect(screen.getByRole("option", { name: /Support handbook/ })).toBeTruthy());
    await userEvent.selectOptions(screen.getByLabelText("Knowledge base"), "kb-1");
    await userEvent.click(screen.getByRole("button", { name: "Add tool" }));
    expect(last.tools).toEqual([
      { type: "integration", connection_id: "conn-1", action: "create_issue" },
      { type: "integration", connection_id: "conn-2", action: "create_issue", name: "create_issue_2" },
      { type: "mcp", connection_id: "conn-mcp", tool: "search_docs" },
      { type: "knowledge", knowledge_base_id: "kb-1" },
    ]);
    const list = screen.getByRole("list", { name: "Tools" });
    expect(within(list).getByText("Support handbook")).toBeTruthy();
    expect(within(list).getAllByText("side effect")).toHaveLength(2);

    // Approvals name the tools; removing a tool drops its approval (the engine refuses unknown names).
    await userEvent.click(screen.getByRole("checkbox", { name: "create_issue_2" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "search_docs" }));
    expect(last.require_approval_for).toEqual(["create_issue_2", "search_docs"]);
    await userEvent.click(screen.getByRole("button", { name: "Remove tool create_issue_2" }));
    expect(last.require_approval_for).toEqual(["search_docs"]);
    expect((last.tools as JsonObject[]).map(toolName)).toEqual(["create_issue", "search_docs", "search_kb-1"]);

    fireEvent.change(screen.getByLabelText("Max tool rounds"), { target: { value: "3" } });
    expect(last.max_tool_rounds).toBe(3);
    fireEvent.change(screen.getByLabelText("Max tool rounds"), { target: { value: "" } });
    expect("max_tool_rounds" in last).toBe(false);
    expect(last.prompt).toBe("Triage {{trigger.input.text}}");
  });

  it("adds an agent tool and an HTTP tool only once they are complete", async () => {
    server.use(
      mock.get("/api/v1/integrations", () => HttpResponse.json([])),
      mock.get("/api/v1/agents", ({ request }) => {
        expect(new URL(request.url).searchParams.get("status")).toBe("active");
        return HttpResponse.json({ items: [{ id: "agent-9", name: "Summarizer" }], next_cursor: null });
      }),
    );
    let last: JsonObject = {};
    renderPage(<Harness initial={{ prompt: "p" }} onValue={(v) => (last = v)} />, { me });
    await userEvent.selectOptions(await screen.findByLabelText("Kind"), "agent");
    await waitFor(() => expect(screen.getByRole("option", { name: "Summarizer" })).toBeTruthy());
    await userEvent.selectOptions(screen.getByLabelText("Agent"), "agent-9");
    await userEvent.click(screen.getByRole("button", { name: "Add tool" }));
    expect(last.tools).toEqual([{ type: "agent", agent_id: "agent-9" }]);

    await userEvent.selectOptions(screen.getByLabelText("Kind"), "http");
    const add = screen.getByRole("button", { name: "Add tool" });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "weather" } });
    expect((add as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Description"), { target: { value: "Current weather for a city" } });
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "https://api.example.com/weather" } });
    await userEvent.click(add);
    expect((last.tools as JsonObject[])[1]).toEqual({ type: "http", name: "weather", description: "Current weather for a city", method: "GET", url: "https://api.example.com/weather" });
  });

  it("derives names the way the engine does", () => {
    expect(toolName({ type: "knowledge", knowledge_base_id: "kb 1" })).toBe("search_kb_1");
    expect(toolName({ type: "agent", agent_id: "a-1" })).toBe("agent_a-1");
    expect(toolName({ type: "mcp", connection_id: "c", tool: "read.file" })).toBe("read_file");
    const tools = withTool(withTool([{ type: "mcp", connection_id: "c", tool: "x" }], { type: "mcp", connection_id: "d", tool: "x" }), { type: "mcp", connection_id: "e", tool: "x" });
    expect(tools.map(toolName)).toEqual(["x", "x_2", "x_3"]);
  });
});
