import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { AgentAccess } from "@/api/access";
import type { Member } from "@/api/org";
import { AccessPage } from "@/pages/agents/AccessPage";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const owner: Member = { user: ownerMe.user, role: "owner", joined_at: "2026-01-01T00:00:00Z" };
const support = { id: "team-1", name: "Support", description: "", created_at: "2026-01-01T00:00:00Z" };
const access: AgentAccess = {
  agent_id: "agent-1",
  restricted: false,
  team_id: "team-1",
  grants: [{ id: "g1", team_id: null, user_id: ownerMe.user.id, permissions: ["agents:read"] }],
};

function serve(onPut: (body: unknown) => Response) {
  server.use(
    mock.get("/api/v1/agents/agent-1/access", () => HttpResponse.json(access)),
    mock.get("/api/v1/teams", () => HttpResponse.json({ items: [support], next_cursor: null })),
    mock.get("/api/v1/org/members", () => HttpResponse.json({ items: [owner], next_cursor: null })),
    mock.put("/api/v1/agents/agent-1/access", async ({ request }) => onPut(await request.json())),
  );
}

describe("agent access", () => {
  it("restricts the agent and grants a team the right to run it", async () => {
    let sent: unknown = null;
    serve((body) => {
      sent = body;
      return HttpResponse.json({ ...access, restricted: true });
    });
    renderPage(<AccessPage />, { path: "/agents/:agentId/access", url: "/agents/agent-1/access" });
    expect(await screen.findByText(/Only Team Support, owners and admins/)).toBeTruthy();
    const person = ownerMe.user.full_name ? `${ownerMe.user.full_name} (${ownerMe.user.email})` : ownerMe.user.email;
    expect((screen.getByRole("checkbox", { name: `View: ${person}` }) as HTMLInputElement).checked).toBe(true);

    await userEvent.click(screen.getByRole("checkbox", { name: /Restricted/ }));
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Add a team or person" }), "team:team-1");
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Run: Team Support" }));
    await userEvent.click(screen.getByRole("button", { name: "Save access" }));
    await waitFor(() =>
      expect(sent).toEqual({
        restricted: true,
        grants: [
          { user_id: ownerMe.user.id, permissions: ["agents:read"] },
          { team_id: "team-1", permissions: ["agents:read", "agents:execute"] },
        ],
      }),
    );
  });

  it("shows why a save was refused", async () => {
    serve(() =>
      HttpResponse.json(
        { error: { code: "agent_access_denied", message: "Only owners, admins and the agent's team may change its access", details: null } },
        { status: 403 },
      ),
    );
    renderPage(<AccessPage />, { path: "/agents/:agentId/access", url: "/agents/agent-1/access" });
    await userEvent.click(await screen.findByRole("button", { name: "Save access" }));
    expect(await screen.findByText("Only owners, admins and the agent's team may change its access")).toBeTruthy();
  });
});
